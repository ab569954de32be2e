"""Churn model from product events: catalog tables, feature aggregates and a pyspark.ml pipeline.

    python examples/churn_features.py [DATA_DIR] [MODEL_DIR]

Nothing here knows about Ember: run it with ``ember submit examples/churn_features.py``, or against
any Spark Connect server with ``SPARK_REMOTE=sc://host:15002``. The data defaults to
``examples/data/churn`` (generated on first run) and the model to ``examples/out/churn_model``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import StringIndexer, VectorAssembler
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

HERE = Path(__file__).resolve().parent
AS_OF = "2024-06-30"


def main(argv: list[str]) -> None:
    data_dir = Path(argv[1]) if len(argv) > 1 else HERE / "data" / "churn"
    model_dir = Path(argv[2]) if len(argv) > 2 else HERE / "out" / "churn_model"
    if not (data_dir / "users.csv").exists():
        sys.path.insert(0, str(HERE))
        from generate_churn_data import generate

        generate(data_dir)

    spark = SparkSession.builder.appName("churn_features").getOrCreate()

    # Land the raw files as tables in their own database.
    spark.sql("CREATE DATABASE IF NOT EXISTS product")
    for name in ["users", "events", "labels"]:
        frame = spark.read.csv(str(data_dir / f"{name}.csv"), header=True, inferSchema=True)
        frame.write.mode("overwrite").saveAsTable(f"product.{name}")

    # One row of features per user.
    activity = (
        spark.table("product.events")
        .groupBy("user_id")
        .agg(
            F.count("*").alias("event_count"),
            F.countDistinct("event_type").alias("event_kinds"),
            F.max("event_date").alias("last_event_date"),
        )
        .withColumn("days_since_last_event", F.datediff(F.lit(AS_OF), "last_event_date"))
    )
    users = spark.table("product.users").withColumn(
        "tenure_days", F.datediff(F.lit(AS_OF), "signup_date")
    )
    features = users.join(activity, "user_id", "left").join(
        spark.table("product.labels"), "user_id"
    )
    features = features.fillna({"event_count": 0, "event_kinds": 0, "days_since_last_event": 90})
    features.groupBy("plan_tier").agg(
        F.count("*").alias("users"), F.round(F.avg("churned"), 3).alias("churn_rate")
    ).orderBy("plan_tier").show()

    # A deterministic split: about one user in five is held out.
    held_out = F.abs(F.hash("user_id")) % 5 == 0
    train, test = features.filter(~held_out), features.filter(held_out)

    pipeline = Pipeline(
        stages=[
            StringIndexer(inputCol="plan_tier", outputCol="plan_tier_index"),
            VectorAssembler(
                inputCols=[
                    "event_count",
                    "event_kinds",
                    "days_since_last_event",
                    "tenure_days",
                    "plan_tier_index",
                ],
                outputCol="features",
            ),
            LogisticRegression(labelCol="churned", maxIter=100),
        ]
    )
    model = pipeline.fit(train)
    scored = model.transform(test)
    auc = BinaryClassificationEvaluator(labelCol="churned").evaluate(scored)
    lr = model.stages[-1]
    print(f"coefficients: {lr.coefficients}")
    print(f"training accuracy: {lr.summary.accuracy:.3f}, held-out AUC: {auc:.3f}")
    scored.select("user_id", "plan_tier", "probability", "prediction", "churned").show(5)

    path = str(model_dir.resolve())
    model.write().overwrite().save(path)
    reloaded = PipelineModel.load(path)
    same = (
        reloaded.transform(test)
        .select("user_id", "prediction")
        .exceptAll(scored.select("user_id", "prediction"))
    )
    print(f"saved to {path}; reloaded model disagrees on {same.count()} of {test.count()} users")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
