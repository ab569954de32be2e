"""Python UDFs: the client pickles the function and Ember runs it in Python worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pytest
from pyspark.errors import PythonException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import IntegerType, StringType


@pytest.fixture
def people(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(1, "John Doe", 21), (2, "Jane", None)], ("id", "name", "age"))


def test_row_udfs_with_nulls(people: DataFrame) -> None:
    length = sf.udf(lambda s: len(s), IntegerType())

    @sf.udf(returnType=StringType())
    def shout(s: str | None) -> str | None:
        return None if s is None else s.upper()

    @sf.udf(returnType=IntegerType())
    def older(age: int | None) -> int | None:
        return None if age is None else age + 1

    df = people.select(length("name").alias("n"), shout("name"), older("age"))
    assert df.columns == ["n", "shout(name)", "older(age)"]
    assert [tuple(r) for r in df.collect()] == [(8, "JOHN DOE", 22), (4, "JANE", None)]


def test_pandas_udf_gets_series(people: DataFrame) -> None:
    @sf.pandas_udf("long")
    def plus_ten(s: pd.Series) -> pd.Series:
        return s + 10

    assert [r[0] for r in people.select(plus_ten("id")).collect()] == [11, 12]


def test_udf_without_arguments_runs_per_row(people: DataFrame) -> None:
    seven = sf.udf(lambda: 7, "int")
    assert [r[0] for r in people.select(seven()).collect()] == [7, 7]


def test_udf_in_filter_and_with_column(people: DataFrame) -> None:
    is_long = sf.udf(lambda s: len(s) > 5, "boolean")
    rows = people.withColumn("long", is_long("name")).filter(is_long("name")).collect()
    assert [(r.name, r.long) for r in rows] == [("John Doe", True)]


def test_failing_udf_raises_python_exception(people: DataFrame) -> None:
    broken = sf.udf(lambda x: 1 / 0, "double")
    with pytest.raises(PythonException, match="ZeroDivisionError"):
        people.select(broken("id")).collect()
    # The server and its workers carry on.
    assert people.count() == 2


def test_registered_udf_in_sql_and_expressions(spark: SparkSession, people: DataFrame) -> None:
    spark.udf.register("ember_len", lambda s: len(s), "int")
    row = spark.sql("SELECT ember_len('abc') AS n").first()
    assert row is not None and row.n == 3
    assert [r.n for r in people.selectExpr("ember_len(name) AS n").collect()] == [8, 4]


def test_map_in_pandas_and_arrow(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 21), (2, 30)], ("id", "age"))

    def keep_first(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            yield frame[frame.id == 1]

    def doubled(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = batch.to_pandas()
            yield pa.RecordBatch.from_pandas(frame.assign(age=frame.age * 2, tag="x"))

    assert [tuple(r) for r in df.mapInPandas(keep_first, df.schema).collect()] == [(1, 21)]
    mapped = df.mapInArrow(doubled, "id long, age long, tag string")
    assert [tuple(r) for r in mapped.collect()] == [(1, 42, "x"), (2, 60, "x")]
    assert spark.range(0).mapInPandas(keep_first, "id long").count() == 0


def test_foreach_sees_rows_and_may_print(people: DataFrame) -> None:
    # Printing inside a UDF must not disturb the worker's answers.
    people.foreach(lambda row: print(row.name))
    people.foreachPartition(lambda rows: print([r.id for r in rows]))
    noisy = sf.udf(lambda s: print(s) or len(s), "int")
    assert [r[0] for r in people.select(noisy("name")).collect()] == [8, 4]


def test_struct_argument_arrives_as_row(people: DataFrame) -> None:
    name_of = sf.udf(lambda row: f"{row.id}:{row.name}", "string")
    values = people.select(name_of(sf.struct("id", "name"))).collect()
    assert [r[0] for r in values] == ["1:John Doe", "2:Jane"]


def test_apply_in_pandas_per_group(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0), (2, 10.0)], ("id", "v"))

    def centred(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(v=frame.v - frame.v.mean())

    def mean_of(key: tuple[int, ...], frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame([(*key, frame.v.mean())])

    out = df.groupby("id").applyInPandas(centred, schema="id long, v double")
    assert sorted(tuple(r) for r in out.collect()) == [
        (1, -0.5),
        (1, 0.5),
        (2, -3.0),
        (2, -1.0),
        (2, 4.0),
    ]
    means = df.groupby("id").applyInPandas(mean_of, schema="id long, v double").orderBy("id")
    assert [tuple(r) for r in means.collect()] == [(1, 1.5), (2, 6.0)]


def test_grouped_aggregate_pandas_udf(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0), (2, 10.0)], ("id", "v"))

    @sf.pandas_udf("double")
    def mean_udf(v: pd.Series) -> float:
        return float(v.mean())

    grouped = df.groupby("id").agg(mean_udf(df["v"]), sf.max("v")).orderBy("id")
    assert grouped.columns == ["id", "mean_udf(v)", "max(v)"]
    assert [tuple(r) for r in grouped.collect()] == [(1, 1.5, 2.0), (2, 6.0, 10.0)]
    total = df.select(mean_udf(df["v"]).alias("m")).first()
    assert total is not None and total.m == pytest.approx(4.2)


def test_crashing_worker_fails_the_query_only(people: DataFrame) -> None:
    import os

    crash = sf.udf(lambda x: os._exit(3), "int")
    with pytest.raises(Exception, match="PYTHON_WORKER_FAILED"):
        people.select(crash("id")).collect()
    plus_one = sf.udf(lambda x: x + 1, "long")
    assert [r[0] for r in people.select(plus_one("id")).collect()] == [2, 3]


def test_udf_arguments_bind_by_keyword(spark: SparkSession) -> None:
    @sf.udf(returnType="int")
    def calc(a: int, b: int | None) -> int:
        return a + 10 * b if b else a

    df = spark.range(2).select(calc(b=sf.col("id") * 10, a=sf.col("id")).alias("r"))
    assert [r.r for r in df.collect()] == [0, 101]
    mixed = spark.range(2).select(calc(sf.col("id"), b=sf.col("id") * 10))
    assert mixed.columns == ["calc(id, b => (id * 10))"]
    assert [r[0] for r in mixed.collect()] == [0, 101]

    @sf.pandas_udf("long")  # type: ignore[call-overload]
    def minus(a: pd.Series, b: pd.Series) -> pd.Series:
        return a - b

    rows = spark.range(3).select(minus(b=sf.col("id"), a=sf.col("id") * 5)).collect()
    assert [r[0] for r in rows] == [0, 4, 8]


def test_arrow_udf_gets_arrays(spark: SparkSession) -> None:
    @sf.udf(returnType=IntegerType())  # type: ignore[call-overload]
    def pa_calc(a: pa.Array, b: pa.Array) -> pa.Array:
        return pa.compute.add(a, pa.compute.multiply(b, 10))

    df = spark.range(3).select(pa_calc(b=sf.col("id") * 10, a="id").alias("r"))
    assert [r.r for r in df.collect()] == [0, 101, 202]
    assert df.schema["r"].dataType == IntegerType()
