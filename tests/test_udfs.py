"""Python UDFs: the client pickles the function and Ember runs it in Python worker processes."""

from __future__ import annotations

import pandas as pd
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
