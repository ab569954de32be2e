"""Smoke suite for one PySpark client (4.0 on, pyspark-client or pyspark in Connect mode).

    python scripts/client_smoke.py --remote sc://127.0.0.1:15002 [--newer-protocol]

Needs only pyspark and its Connect dependencies; prints a line per check and exits 1 if any
fails. The server must share this machine's file system. scripts/client_versions.sh runs it.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable

import pandas as pd
import pyspark
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.connect.client import SparkConnectClient
from pyspark.sql.functions import udf
from pyspark.sql.pandas.functions import pandas_udf

BIG = 20_000
GROUPS = 7
# Spark's defaults for some keys clients read before they build or convert anything.
SPARK_DEFAULTS = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.pandas.structHandlingMode": "legacy",
    "spark.sql.execution.pandas.convertToArrowArraySafely": "false",
    "spark.sql.pyspark.inferNestedDictAsStruct.enabled": "false",
    "spark.sql.timestampType": "TIMESTAMP_LTZ",
}
# Keys the client read with ConfigRequest.Get, which Spark answers only for keys that have a
# value or a default: one missing from the answer is a default the server lacks.
CONFIGS_READ: dict[str, str | None] = {}


def record_config_reads() -> None:
    get_configs = SparkConnectClient.get_configs
    get_config_dict = SparkConnectClient.get_config_dict

    def recorded_configs(self: SparkConnectClient, *keys: str) -> tuple[str | None, ...]:
        values = get_configs(self, *keys)
        CONFIGS_READ.update(zip(keys, values, strict=True))
        return values

    def recorded_dict(self: SparkConnectClient, *keys: str) -> dict[str, str | None]:
        values = dict(get_config_dict(self, *keys))
        CONFIGS_READ.update({key: values.get(key) for key in keys})
        return values

    SparkConnectClient.get_configs = recorded_configs  # type: ignore[method-assign]
    SparkConnectClient.get_config_dict = recorded_dict  # type: ignore[method-assign]


def check_equal(what: str, got: object, want: object) -> None:
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def big_frame(spark: SparkSession) -> DataFrame:
    rows = [(i, i % GROUPS, f"n{i}") for i in range(BIG)]
    return spark.createDataFrame(rows, "id long, g long, name string")


def expected_groups(limit: int = BIG) -> list[tuple[int, int, int]]:
    """(g, count, sum of id) over ids below ``limit``, ordered by g."""
    ids = [[i for i in range(limit) if i % GROUPS == g] for g in range(GROUPS)]
    return [(g, len(ids[g]), sum(ids[g])) for g in range(GROUPS)]


class Smoke:
    def __init__(self, spark: SparkSession, workdir: str) -> None:
        self.spark = spark
        self.workdir = workdir
        self.table_name = f"ember_smoke_{os.getpid()}"

    def configs(self) -> None:
        for key, want in SPARK_DEFAULTS.items():
            check_equal(key, self.spark.conf.get(key), want)
        self.spark.range(1).toPandas()  # makes sure the client has read what it reads
        missing = sorted(key for key, value in CONFIGS_READ.items() if value is None)
        if missing or not CONFIGS_READ:
            raise AssertionError(f"no value for {', '.join(missing) or 'any key'}")

    def newer_protocol(self) -> None:
        """APIs newer than Ember's descriptors (4.2: catalog calls; 4.3: DataFrame.zip) work or
        are refused as not supported."""
        calls: list[tuple[str, Callable[[], object]]] = []
        two = self.spark.range(2)
        drop_table = getattr(type(self.spark.catalog), "dropTable", None)
        if drop_table is not None:
            calls.append(("catalog.dropTable", lambda: drop_table(self.spark.catalog, "t", True)))
        zip_frames = getattr(type(two), "zip", None)  # not getattr(two): that makes a column
        if zip_frames is not None:
            calls.append(("DataFrame.zip", lambda: zip_frames(two, two).collect()))
        for name, call in calls:
            try:
                call()
            except Exception as e:
                text = str(e)
                if "missing field" in text or "not supported" not in text.lower():
                    raise AssertionError(f"{name}: unclear refusal: {text.splitlines()[0]}") from e

    def create_small(self) -> None:
        df = self.spark.createDataFrame(
            [(1, "a", 1.5), (2, "b", None), (3, "a", 3.0)], "id long, k string, v double"
        )
        check_equal("schema", df.schema.simpleString(), "struct<id:bigint,k:string,v:double>")
        want = [Row(id=1, k="a", v=1.5), Row(id=2, k="b", v=None), Row(id=3, k="a", v=3.0)]
        check_equal("rows", df.orderBy("id").collect(), want)

    def create_big(self) -> None:
        df = big_frame(self.spark)
        check_equal("count", df.count(), BIG)
        row = df.agg(sf.sum("id").alias("s"), sf.max("name").alias("m")).collect()[0]
        check_equal("sum/max", (row.s, row.m), (BIG * (BIG - 1) // 2, "n9999"))
        pdf = pd.DataFrame({"x": range(BIG), "y": [float(i) / 2 for i in range(BIG)]})
        got = self.spark.createDataFrame(pdf).agg(sf.sum("x"), sf.sum("y")).collect()[0]
        check_equal("from pandas", tuple(got), (BIG * (BIG - 1) // 2, BIG * (BIG - 1) / 4))

    def filter(self) -> None:
        df = big_frame(self.spark)
        check_equal("id % 3 == 0", df.filter(sf.col("id") % 3 == 0).count(), 6667)
        rows = df.where("id BETWEEN 10 AND 12 AND name <> 'n11'").orderBy("id").collect()
        check_equal("between", [r.id for r in rows], [10, 12])

    def aggregate(self) -> None:
        df = big_frame(self.spark)
        got = df.groupBy("g").agg(sf.count("*").alias("c"), sf.sum("id").alias("s")).orderBy("g")
        check_equal("groups", [tuple(r) for r in got.collect()], expected_groups())

    def join(self) -> None:
        left = self.spark.createDataFrame([(1, "x"), (2, "y"), (3, "z")], "k long, a string")
        right = self.spark.createDataFrame([(1, 10), (3, 30), (3, 31), (4, 40)], "k long, b int")
        inner = left.join(right, "k").orderBy("k", "b").collect()
        check_equal("inner", [tuple(r) for r in inner], [(1, "x", 10), (3, "z", 30), (3, "z", 31)])
        outer = left.join(right, "k", "left_anti").collect()
        check_equal("anti", [tuple(r) for r in outer], [(2, "y")])
        big = big_frame(self.spark)
        names = self.spark.createDataFrame(
            [(g, f"g{g}") for g in range(GROUPS)], "g long, n string"
        )
        got = [tuple(r) for r in big.join(names, "g").groupBy("n").count().orderBy("n").collect()]
        check_equal("big join", got, [(f"g{g}", c) for g, c, _ in expected_groups()])

    def sql(self) -> None:
        big_frame(self.spark).createOrReplaceTempView("smoke_view")
        query = "SELECT g, COUNT(*), SUM(id) FROM smoke_view WHERE id < 100 GROUP BY g ORDER BY g"
        got = self.spark.sql(query).collect()
        check_equal("sql", [tuple(r) for r in got], expected_groups(100))
        check_equal("literal", self.spark.sql("SELECT 1 + 1 AS two").collect(), [Row(two=2)])

    def python_udf(self) -> None:
        plus_one = udf(lambda x: None if x is None else x + 1, "long", useArrow=False)
        df = big_frame(self.spark).select(plus_one("id").alias("p"))
        check_equal("sum", df.agg(sf.sum("p")).collect()[0][0], BIG * (BIG + 1) // 2)

    def pandas_udf(self) -> None:
        def halve(s: pd.Series) -> pd.Series:
            return s / 2.0

        halved = pandas_udf(halve, "double")  # type: ignore[call-overload]  # stubs want a type
        df = big_frame(self.spark).select(halved("id").alias("h"))
        check_equal("sum", df.agg(sf.sum("h")).collect()[0][0], BIG * (BIG - 1) / 4)

    def parquet(self) -> None:
        path = os.path.join(self.workdir, "smoke.parquet")
        big_frame(self.spark).write.mode("overwrite").parquet(path)
        back = self.spark.read.parquet(path)
        check_equal("schema", back.schema.simpleString(), "struct<id:bigint,g:bigint,name:string>")
        got = back.groupBy("g").agg(sf.count("*"), sf.sum("id")).orderBy("g").collect()
        check_equal("groups", [tuple(r) for r in got], expected_groups())

    def table(self) -> None:
        df = big_frame(self.spark).filter("id < 1000")
        df.write.mode("overwrite").saveAsTable(self.table_name)
        try:
            back = self.spark.table(self.table_name)
            check_equal("count", back.count(), 1000)
            check_equal("sum", back.agg(sf.sum("id")).collect()[0][0], 999 * 1000 // 2)
            df.write.mode("append").saveAsTable(self.table_name)
            check_equal("appended", self.spark.table(self.table_name).count(), 2000)
        finally:
            self.spark.sql(f"DROP TABLE IF EXISTS {self.table_name}")

    def to_pandas(self) -> None:
        pdf = big_frame(self.spark).orderBy("id").toPandas()
        check_equal("shape", (pdf.shape, list(pdf.columns)), ((BIG, 3), ["id", "g", "name"]))
        check_equal("ids", pdf["id"].tolist(), list(range(BIG)))
        check_equal("names", pdf["name"].iloc[[0, -1]].tolist(), ["n0", f"n{BIG - 1}"])
        small = self.spark.createDataFrame([(1, None), (2, 2.5)], "a int, b double").toPandas()
        check_equal("nulls", small["b"].isna().tolist(), [True, False])
        check_equal("ints", (small["a"].tolist(), str(small["a"].dtype)), ([1, 2], "int32"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", default=os.environ.get("SPARK_REMOTE"), help="sc:// URL")
    parser.add_argument("--newer-protocol", action="store_true", help="also call newer APIs")
    options = parser.parse_args()
    _ = options.remote or parser.error("give --remote or set SPARK_REMOTE")
    print(f"client: pyspark {pyspark.__version__} on Python {sys.version.split()[0]}", flush=True)
    record_config_reads()
    spark = SparkSession.builder.remote(options.remote).getOrCreate()
    smoke = Smoke(spark, workdir := tempfile.mkdtemp(prefix="ember-smoke-"))
    checks: list[tuple[str, Callable[[], None]]] = [
        ("createDataFrame small", smoke.create_small),
        (f"createDataFrame {BIG} rows", smoke.create_big),
        ("filter", smoke.filter),
        ("groupBy/agg", smoke.aggregate),
        ("join", smoke.join),
        ("spark.sql over a temp view", smoke.sql),
        ("python udf (useArrow=False)", smoke.python_udf),
        ("pandas_udf", smoke.pandas_udf),
        ("write parquet + read back", smoke.parquet),
        ("saveAsTable + spark.table", smoke.table),
        ("toPandas", smoke.to_pandas),
        ("configs the client read have Spark's defaults", smoke.configs),
    ]
    if options.newer_protocol:
        checks.append(("newer protocol: works or refused clearly", smoke.newer_protocol))
    failed = 0
    try:
        for name, check in checks:
            start = time.monotonic()
            try:
                check()
            except Exception as e:
                failed += 1
                first = (str(e).strip().splitlines() or [""])[0][:400]
                print(f"FAIL {name}: {type(e).__name__}: {first}", flush=True)
                if os.environ.get("EMBER_SMOKE_TRACEBACK"):
                    traceback.print_exc()
            else:
                print(f"ok   {name} ({time.monotonic() - start:.2f}s)", flush=True)
    finally:
        spark.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"smoke: {len(checks) - failed} of {len(checks)} checks ok", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
