"""Intervals scaled by numbers: calendar intervals field by field (whole months and days, a
day's fraction moving into the time part), day-time intervals by their microseconds."""

from __future__ import annotations

import datetime

import pytest
from pyspark.errors import ArithmeticException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf


def shown(spark: SparkSession, df: DataFrame) -> list[str | None]:
    """The last column as `show()` prints it: calendar intervals have no Python type."""
    lines = df._show_string(100, False, False).splitlines()[3:-1]  # type: ignore[attr-defined]
    cells = [line.strip("|").split("|")[-1].strip() for line in lines]
    return [None if c == "NULL" else c for c in cells]


def test_calendar_interval_times_and_divided_by_numbers(spark: SparkSession) -> None:
    df = spark.range(4).select(sf.make_interval(sf.lit(1)).alias("itvl"), "id")
    divided = df.select(sf.try_divide("itvl", "id").alias("q"))
    assert shown(spark, divided) == [None, "1 years", "6 months", "4 months"]
    grown = spark.range(3).select(
        (sf.make_interval(sf.lit(0), sf.lit(0), sf.lit(0), sf.lit(3)) * sf.col("id")).alias("x")
    )
    assert shown(spark, grown) == ["0 seconds", "3 days", "6 days"]
    half = spark.range(1).select(
        sf.try_multiply(sf.make_interval(sf.lit(0), sf.lit(0), sf.lit(0), sf.lit(3)), sf.lit(0.5))
    )
    assert shown(spark, half) == ["1 days 12 hours"]
    with pytest.raises(ArithmeticException, match="INTERVAL_DIVIDED_BY_ZERO"):
        spark.range(1).select(sf.make_interval(sf.lit(1)) / sf.col("id")).collect()


def test_day_time_interval_scaled(spark: SparkSession) -> None:
    row = spark.sql(
        "SELECT INTERVAL '1 day 3 hours' * 1.5 AS a, 2 * INTERVAL '10' MINUTE AS b, "
        "INTERVAL '1' HOUR / 4 AS c"
    ).first()
    assert row.a == datetime.timedelta(days=1, hours=16, minutes=30)
    assert row.b == datetime.timedelta(minutes=20)
    assert row.c == datetime.timedelta(minutes=15)
