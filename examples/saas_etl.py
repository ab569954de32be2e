"""Daily SaaS metrics from clickstream events: a plain PySpark job.

    python examples/saas_etl.py [INPUT_DIR] [OUTPUT_DIR]

Nothing here knows about Ember: run it with ``ember submit examples/saas_etl.py``, or against any
Spark Connect server with ``SPARK_REMOTE=sc://host:15002``. The input defaults to
``examples/data/events`` (generated on first run) and the output to ``examples/out/daily_metrics``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    input_dir = Path(argv[1]) if len(argv) > 1 else HERE / "data" / "events"
    output_dir = Path(argv[2]) if len(argv) > 2 else HERE / "out" / "daily_metrics"
    if not input_dir.exists():
        sys.path.insert(0, str(HERE))
        from generate_data import generate

        generate(input_dir)

    spark = (
        SparkSession.builder.appName("saas_etl")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )

    schema = StructType(
        [
            StructField("event_id", StringType()),
            StructField("user_id", StringType()),
            StructField("session_id", StringType()),
            StructField("event_type", StringType()),
            StructField("ts", LongType()),
            StructField("page", StringType()),
            StructField("revenue", DoubleType()),
        ]
    )
    events = spark.read.schema(schema).json(str(input_dir.resolve()))

    daily = (
        events.withColumn("event_time", F.to_timestamp(F.from_unixtime(F.col("ts"))))
        .withColumn("event_date", F.to_date(F.col("event_time")))
        .filter(F.col("user_id").isNotNull())
        .groupBy("event_date", "event_type")
        .agg(
            F.count("*").alias("events"),
            F.countDistinct("user_id").alias("users"),
            F.sum("revenue").alias("revenue"),
        )
        .orderBy("event_date", "event_type")
    )
    daily.show()

    output = str(output_dir.resolve())
    daily.write.mode("overwrite").parquet(output)
    written = spark.read.parquet(output).count()
    print(f"wrote {written} rows to {output}")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
