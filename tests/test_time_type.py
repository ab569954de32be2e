"""Spark's TIME type: literals, casts to and from text, the TIME functions, and TIME values
travelling to and from the client. Expected values are Spark 4.1.1's (with
`spark.sql.timeType.enabled`, which Spark needs and Ember ignores)."""

from __future__ import annotations

import datetime

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf


@pytest.fixture
def tspark(spark: SparkSession) -> SparkSession:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark


def test_time_literals_and_casts(tspark: SparkSession) -> None:
    df = tspark.sql(
        "SELECT TIME'13:08:15.123450' AS t, CAST('1:2:3' AS TIME) AS c, "
        "CAST(TIME'13:08:15.5' AS STRING) AS s, typeof(TIME'13:08:15') AS ty, "
        "TIME'10:11:12' < TIME'11:00' AS lt"
    )
    assert [f.dataType.simpleString() for f in df.schema] == [
        "time(6)",
        "time(6)",
        "string",
        "string",
        "boolean",
    ]
    assert df.columns[0] == "t"
    row = df.first()
    assert row is not None
    assert row.t == datetime.time(13, 8, 15, 123450)
    assert row.c == datetime.time(1, 2, 3)
    assert (row.s, row.ty, row.lt) == ("13:08:15.5", "time(6)", True)
    named = tspark.sql("SELECT TIME'13:08:15.123450', CAST(TIME'06:30:45.887' AS STRING)")
    assert named.columns == [
        "TIME '13:08:15.12345'",
        "CAST(TIME '06:30:45.887' AS STRING)",
    ]
    assert named.first()[1] == "06:30:45.887"  # type: ignore[index]
    with pytest.raises(PySparkException, match="CAST_INVALID_INPUT"):
        tspark.sql("SELECT CAST('abc' AS TIME)").collect()
    assert tspark.sql("SELECT TRY_CAST('abc' AS TIME) AS t").first().t is None  # type: ignore[union-attr]


def test_to_time_and_try_to_time(tspark: SparkSession) -> None:
    row = tspark.sql(
        "SELECT to_time('10:30') AS a, to_time('10:30:00.123456789') AS b, "
        "to_time('10.30', 'HH.mm') AS c, try_to_time('abc') AS d, to_time(NULL) AS e"
    ).first()
    assert row is not None
    assert row.a == datetime.time(10, 30)
    assert row.b == datetime.time(10, 30, 0, 123456)
    assert row.c == datetime.time(10, 30)
    assert row.d is None and row.e is None
    for bad in ["abc", "25:00:00"]:
        with pytest.raises(PySparkException, match="CANNOT_PARSE_TIME"):
            tspark.sql(f"SELECT to_time('{bad}')").collect()


def test_make_time_checks_its_fields(tspark: SparkSession) -> None:
    df = tspark.createDataFrame([(6, 30, 45.887), (None, 1, 1.0)], ["h", "m", "s"])
    rows = df.select(sf.make_time("h", "m", "s").alias("t")).collect()
    assert [r.t for r in rows] == [datetime.time(6, 30, 45, 887000), None]
    for args, field in [("25, 0, 0", "HourOfDay"), ("6, 30, 60", "SecondOfMinute")]:
        with pytest.raises(PySparkException, match=f"DATETIME_FIELD_OUT_OF_BOUNDS.*{field}"):
            tspark.sql(f"SELECT make_time({args})").collect()


def test_time_diff_and_time_trunc(tspark: SparkSession) -> None:
    row = tspark.sql(
        "SELECT time_diff('HOUR', TIME'13:08:15', TIME'11:30:28') AS back, "
        "time_diff('microsecond', TIME'13:08:15', TIME'13:08:15.5') AS micros, "
        "time_trunc('MINUTE', TIME'13:08:15.123') AS minute, "
        "time_trunc('MILLISECOND', TIME'13:08:15.123456') AS milli, "
        "TIME'10:11:12' - TIME'09:00' AS elapsed"
    ).first()
    assert row is not None
    assert (row.back, row.micros) == (-1, 500000)
    assert row.minute == datetime.time(13, 8)
    assert row.milli == datetime.time(13, 8, 15, 123000)
    assert row.elapsed == datetime.timedelta(seconds=4272)
    with pytest.raises(PySparkException, match="INVALID_PARAMETER_VALUE.TIME_UNIT"):
        tspark.sql("SELECT time_trunc('DAY', TIME'13:08:15')").collect()


def test_time_fields_and_client_values(tspark: SparkSession) -> None:
    df = tspark.createDataFrame([(datetime.time(13, 8, 15, 500),), (None,)], ["t"])
    assert df.schema.simpleString() == "struct<t:time(6)>"
    rows = df.select(
        sf.hour("t").alias("h"),
        sf.minute("t").alias("m"),
        sf.second("t").alias("s"),
        sf.col("t").cast("string").alias("text"),
    ).collect()
    assert [tuple(r) for r in rows] == [(13, 8, 15, "13:08:15.0005"), (None, None, None, None)]
    assert df.collect()[0].t == datetime.time(13, 8, 15, 500)


def test_make_timestamp_from_date_and_time(tspark: SparkSession) -> None:
    tspark.conf.set("spark.sql.session.timeZone", "UTC")
    try:
        df = tspark.createDataFrame(
            [(datetime.date(2014, 12, 27), datetime.time(21, 30, 45, 887000), "CET")],
            ["date", "time", "tz"],
        )
        row = df.select(
            sf.make_timestamp(date=df.date, time=df.time, timezone=df.tz).alias("zoned"),
            sf.make_timestamp_ntz(date=df.date, time=df.time).alias("ntz"),
            sf.try_make_timestamp(date=df.date, time=df.time).alias("session"),
        ).first()
        assert row is not None
        assert row.zoned == datetime.datetime(2014, 12, 27, 20, 30, 45, 887000)
        assert row.ntz == datetime.datetime(2014, 12, 27, 21, 30, 45, 887000)
        assert row.session == datetime.datetime(2014, 12, 27, 21, 30, 45, 887000)
    finally:
        tspark.conf.unset("spark.sql.session.timeZone")
