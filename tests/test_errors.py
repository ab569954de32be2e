"""Errors reach the client as the exception types and error conditions Spark uses, and the
session keeps working after each one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import (
    AnalysisException,
    ArithmeticException,
    ParseException,
    PySparkException,
)
from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def assert_still_works(spark: SparkSession) -> None:
    assert spark.range(3).count() == 3
    assert spark.createDataFrame([(1, "a")], ["x", "y"]).first() == (1, "a")


def test_unknown_column_in_select(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a")], ["id", "name"])
    with pytest.raises(AnalysisException) as info:
        df.select("nmae").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    message = str(info.value)
    assert "UNRESOLVED_COLUMN.WITH_SUGGESTION" in message
    assert "`nmae`" in message
    # The suggestion lists the existing columns, closest first.
    assert "`name`" in message
    assert info.value.getSqlState() == "42703"
    assert_still_works(spark)


def test_unknown_column_in_filter_expression(spark: SparkSession) -> None:
    df = spark.range(3)
    with pytest.raises(AnalysisException) as info:
        df.filter("missing > 1").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert_still_works(spark)


def test_unknown_column_in_sql_text(spark: SparkSession) -> None:
    spark.range(3).createOrReplaceTempView("ember_errors_view")
    with pytest.raises(AnalysisException) as info:
        spark.sql("SELECT nope FROM ember_errors_view").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert "with name `nope` cannot be resolved" in str(info.value)
    assert "[`id`]" in str(info.value)
    assert_still_works(spark)


def test_unknown_column_is_reported_by_schema_too(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as info:
        _ = spark.range(3).select(F.col("nope")).columns
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert_still_works(spark)


def test_bad_expression_in_select_expr(spark: SparkSession) -> None:
    with pytest.raises(ParseException) as info:
        spark.range(3).selectExpr("id +").collect()
    assert info.value.getCondition() == "PARSE_SYNTAX_ERROR"
    assert_still_works(spark)


def test_bad_sql(spark: SparkSession) -> None:
    with pytest.raises(ParseException) as info:
        spark.sql("SELEC 1").collect()
    assert info.value.getCondition() == "PARSE_SYNTAX_ERROR"
    assert "SELEC" in str(info.value)
    assert_still_works(spark)


def test_integer_overflow_under_ansi(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2_147_483_647, 9_223_372_036_854_775_807)], "v int, w long")
    with pytest.raises(ArithmeticException) as info:
        df.select(F.col("v") + 1).collect()
    assert info.value.getCondition() == "ARITHMETIC_OVERFLOW"
    assert "int overflow" in str(info.value)
    with pytest.raises(ArithmeticException, match="long overflow"):
        df.select(F.col("w") * 2).collect()
    # Within range, integer arithmetic keeps Spark's result types.
    row = df.select((F.col("v") - 1).alias("a"), (F.col("v") + F.lit(1).cast("long")).alias("b"))
    assert row.first() == (2_147_483_646, 2_147_483_648)
    assert_still_works(spark)


def test_missing_path(spark: SparkSession, tmp_path: Path) -> None:
    missing = str(tmp_path / "does_not_exist")
    with pytest.raises(AnalysisException) as info:
        spark.read.parquet(missing).collect()
    assert info.value.getCondition() == "PATH_NOT_FOUND"
    assert "does_not_exist" in str(info.value)
    with pytest.raises(AnalysisException) as info:
        spark.read.json(missing).count()
    assert info.value.getCondition() == "PATH_NOT_FOUND"
    assert_still_works(spark)


def test_missing_table(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as info:
        spark.table("no_such_table_anywhere").collect()
    assert info.value.getCondition() == "TABLE_OR_VIEW_NOT_FOUND"
    with pytest.raises(AnalysisException) as info:
        spark.sql("SELECT * FROM no_such_table_anywhere").collect()
    assert info.value.getCondition() == "TABLE_OR_VIEW_NOT_FOUND"
    assert_still_works(spark)


def test_unknown_function(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as info:
        spark.range(1).selectExpr("no_such_function(id)").collect()
    assert info.value.getCondition() == "UNRESOLVED_ROUTINE"
    assert_still_works(spark)


def test_errors_are_pyspark_exceptions(spark: SparkSession) -> None:
    with pytest.raises(PySparkException):
        spark.range(1).select("nope").collect()
    assert_still_works(spark)


def test_divide_by_zero(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 0)], "a int, b int")
    with pytest.raises(ArithmeticException) as info:
        df.select(F.col("a") / F.col("b")).collect()
    assert info.value.getCondition() == "DIVIDE_BY_ZERO"
    assert "DIVIDE_BY_ZERO" in str(info.value)
    assert info.value.getSqlState() == "22012"
    assert_still_works(spark)
