"""Spark built-in functions by family, checked against Apache Spark's documented results:
numbers, dates and times, strings and regular expressions, JSON, hashes, generators and
positional functions, including their null, overflow and error cases."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from helpers import rows, session_time_zone, show_string, sorted_rows
from pyspark.errors import AnalysisException, ArithmeticException, DateTimeException
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

# --- numbers -------------------------------------------------------------------------------------


def test_bround_rounds_half_to_even(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2.5, 25), (3.5, 35), (-2.5, -25), (2.125, 15)], "d double, i int")
    out = df.select(F.bround("d"), F.bround("d", 2), F.bround("i", -1))
    assert out.columns == ["bround(d, 0)", "bround(d, 2)", "bround(i, -1)"]
    assert rows(out) == [(2.0, 2.5, 20), (4.0, 3.5, 40), (-2.0, -2.5, -20), (2.0, 2.12, 20)]


def test_log2(spark: SparkSession) -> None:
    # Spark's documented value for 3 (its docstring prints 1.584962500721156).
    out = spark.range(1, 4).select(F.log2("id"))
    assert out.columns == ["LOG2(id)"]
    assert rows(out) == [(0.0,), (1.0,), (1.584962500721156,)]
    assert rows(spark.range(1).select(F.log2(F.lit(0)))) == [(None,)]


def test_exponentials_and_logarithms_carry_sparks_last_digits(spark: SparkSession) -> None:
    # Spark computes these with java.lang.StrictMath; values from Spark 4.1.1.
    row = (
        spark.range(1)
        .select(
            F.exp(F.lit(1)),
            F.cosh(F.lit(1)),
            F.log2(F.lit(9)),
            F.log2(F.lit(10)),
            F.expm1(F.lit(1)),
        )
        .first()
    )
    assert tuple(row) == (
        2.7182818284590455,
        1.543080634815244,
        3.1699250014423126,
        3.3219280948873626,
        1.718281828459045,
    )


def test_conv_between_bases(spark: SparkSession) -> None:
    df = spark.createDataFrame([("100",), ("-10",), (None,)], "n string")
    out = df.select(F.conv("n", 2, 10).alias("b2"), F.conv("n", 16, -10).alias("signed"))
    assert rows(out) == [("4", "256"), ("18446744073709551614", "-16"), (None, None)]


def test_try_arithmetic_gives_null_on_overflow(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2147483647, 1), (5, 3)], "a int, b int")
    out = df.select(F.try_add("a", "b"), F.try_multiply("a", "b"), F.try_subtract("b", "a"))
    assert rows(out) == [(None, 2147483647, -2147483646), (8, 15, -2)]


def test_integer_overflow_raises_under_ansi(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2147483647, 1)], "a int, b int")
    with pytest.raises(ArithmeticException) as info:
        df.select(F.col("a") + F.col("b")).collect()
    assert "ARITHMETIC_OVERFLOW" in str(info.value)


# --- dates and times ------------------------------------------------------------------------------


def test_to_timestamp_and_to_date_with_patterns(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1997-02-28 10:30:00", "28/02/1997")], ["ts", "d"])
    out = df.select(
        F.to_timestamp("ts", "yyyy-MM-dd HH:mm:ss").alias("t"),
        F.to_timestamp("d", "dd/MM/yyyy").alias("midnight"),
        F.to_date("d", "dd/MM/yyyy").alias("date"),
    )
    assert rows(out) == [
        (
            datetime.datetime(1997, 2, 28, 10, 30),
            datetime.datetime(1997, 2, 28, 0, 0),
            datetime.date(1997, 2, 28),
        )
    ]


def test_invalid_datetime_text_fails_and_try_forms_give_null(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2016-12-31",), ("not a date",)], ["s"])
    out = df.select(
        F.try_to_timestamp("s", F.lit("yyyy-MM-dd")).alias("t"),
        F.try_to_date("s", "yyyy-MM-dd").alias("d"),
    )
    assert rows(out) == [
        (datetime.datetime(2016, 12, 31), datetime.date(2016, 12, 31)),
        (None, None),
    ]
    with pytest.raises(DateTimeException) as info:
        df.select(F.to_timestamp("s", "yyyy-MM-dd")).collect()
    assert "CANNOT_PARSE_TIMESTAMP" in str(info.value)


def test_unix_timestamp_reads_the_default_pattern(spark: SparkSession, utc: None) -> None:
    df = spark.createDataFrame([("2015-04-08 00:00:00", "20150408")], ["a", "b"])
    out = df.select(F.unix_timestamp("a"), F.unix_timestamp("b", "yyyyMMdd"))
    assert rows(out) == [(1428451200, 1428451200)]
    assert rows(df.select(F.unix_timestamp(F.to_date(F.lit("1970-01-02"))))) == [(86400,)]


def test_timestamp_add_and_diff(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(datetime.datetime(2016, 3, 11, 9, 0, 7), datetime.datetime(2024, 4, 2, 9, 0, 7), 2)],
        ["ts1", "ts2", "q"],
    )
    out = df.select(
        F.timestamp_diff("year", "ts1", "ts2"),
        F.timestamp_diff("month", "ts2", "ts1"),
        F.timestamp_diff("day", "ts1", "ts2"),
        F.timestamp_add("month", "q", "ts1"),
    )
    assert out.columns[0] == "timestampdiff(year, ts1, ts2)"
    assert rows(out) == [(8, -96, 2944, datetime.datetime(2016, 5, 11, 9, 0, 7))]


def test_tumbling_window_groups_by_interval(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            (datetime.datetime(2016, 3, 11, 9, 0, 7), 1),
            (datetime.datetime(2016, 3, 11, 9, 0, 9), 2),
            (datetime.datetime(2016, 3, 11, 9, 0, 11), 4),
        ],
        ["dt", "v"],
    )
    out = df.groupBy(F.window("dt", "5 seconds")).agg(F.sum("v")).orderBy("window")
    assert out.columns == ["window", "sum(v)"]
    assert out.schema["window"].nullable is False
    got = [(r["window"]["start"], r["window"]["end"], r[1]) for r in out.collect()]
    assert got == [
        (datetime.datetime(2016, 3, 11, 9, 0, 5), datetime.datetime(2016, 3, 11, 9, 0, 10), 3),
        (datetime.datetime(2016, 3, 11, 9, 0, 10), datetime.datetime(2016, 3, 11, 9, 0, 15), 4),
    ]
    last = out.select(F.window_time("window")).first()
    assert last is not None and last[0] == datetime.datetime(2016, 3, 11, 9, 0, 9, 999999)


def test_date_functions_read_strings_as_dates(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2015-07-27",)], ["d"])
    out = df.select(F.weekday("d"), F.last_day("d"), F.next_day("d", "Sun"))
    assert rows(out) == [(0, datetime.date(2015, 7, 31), datetime.date(2015, 8, 2))]


@pytest.fixture
def los_angeles(spark: SparkSession) -> Iterator[None]:
    """Run a test in the session time zone America/Los_Angeles, restoring it afterwards."""
    with session_time_zone(spark, "America/Los_Angeles"):
        yield


def test_session_time_zone_reads_and_prints_wall_clocks(
    spark: SparkSession, los_angeles: None
) -> None:
    # 1428476400 is 2015-04-08 07:00:00 UTC, midnight in Los Angeles (PDT).
    df = spark.createDataFrame([(1428476400,)], ["unix_time"])
    out = df.select(
        F.from_unixtime("unix_time"),
        F.unix_timestamp(F.lit("2015-04-08 00:00:00")),
        F.unix_timestamp(F.to_timestamp(F.lit("2015-07-22 10:00:00"))),
    )
    assert rows(out) == [("2015-04-08 00:00:00", 1428476400, 1437584400)]
    ts = df.select(F.timestamp_seconds("unix_time").alias("t"))
    fields = ts.select(
        F.hour("t"),
        F.col("t").cast("string"),
        F.col("t").cast("date"),
        F.date_format("t", "yyyy-MM-dd HH:mm"),
    )
    assert rows(fields) == [
        (0, "2015-04-08 00:00:00", datetime.date(2015, 4, 8), "2015-04-08 00:00")
    ]
    assert "2015-04-08 00:00:00" in show_string(ts)
    parsed = spark.sql("SELECT CAST('2015-04-08 00:00:00' AS TIMESTAMP) AS t").select(
        F.unix_timestamp("t")
    )
    assert rows(parsed) == [(1428476400,)]


def test_from_utc_timestamp_accepts_short_zone_ids(spark: SparkSession, utc: None) -> None:
    df = spark.createDataFrame([("1997-02-28 10:30:00",)], ["ts"])
    out = df.select(
        F.from_utc_timestamp(F.col("ts").cast("timestamp"), "PST").cast("string"),
        F.to_utc_timestamp(F.col("ts").cast("timestamp"), "JST").cast("string"),
    )
    assert rows(out) == [("1997-02-28 02:30:00", "1997-02-28 01:30:00")]


# --- generators, grouping and positions -----------------------------------------------------------


def test_json_tuple_yields_one_row_of_fields(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", '{"f1": "value1", "f2": "value2"}'), ("2", "{}")], ("key", "j")
    )
    out = df.select("key", F.json_tuple("j", "f1", "f2")).orderBy("key")
    assert out.columns == ["key", "c0", "c1"]
    assert rows(out) == [("1", "value1", "value2"), ("2", None, None)]


def test_grouping_id_defaults_to_every_key(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a", "a"), (3, "a", "a"), (4, "b", "c")], ["c1", "c2", "c3"])
    out = df.cube("c2", "c3").agg(F.grouping_id(), F.sum("c1")).orderBy("c2", "c3")
    assert out.columns == ["c2", "c3", "grouping_id()", "sum(c1)"]
    assert rows(out) == [
        (None, None, 3, 8),
        (None, "a", 2, 4),
        (None, "c", 2, 4),
        ("a", None, 1, 4),
        ("a", "a", 0, 4),
        ("b", None, 1, 4),
        ("b", "c", 0, 4),
    ]


def test_monotonically_increasing_id_is_unique_and_ordered(spark: SparkSession) -> None:
    df = spark.range(0, 10, 1, 2).select("id", F.monotonically_increasing_id().alias("mid"))
    ids = rows(df.orderBy("id"))
    assert [m for _, m in ids] == [
        0,
        1,
        2,
        3,
        4,
        8589934592,
        8589934593,
        8589934594,
        8589934595,
        8589934596,
    ]


def test_nth_value_can_skip_nulls(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", 1, None), ("a", 2, 20), ("a", 3, 30)], "k string, o int, v int"
    )
    w = Window.partitionBy("k").orderBy("o")
    out = df.select(
        "o",
        F.nth_value("v", 1).over(w).alias("first"),
        F.nth_value("v", 1, ignoreNulls=True).over(w).alias("first_present"),
    )
    assert sorted_rows(out) == [(1, None, None), (2, None, 20), (3, None, 20)]


# --- errors ---------------------------------------------------------------------------------------


def test_unknown_function_is_an_analysis_error(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as info:
        spark.range(1).select(F.call_function("no_such_function", F.col("id"))).collect()
    assert "UNRESOLVED_ROUTINE" in str(info.value)


def test_listagg_distinct_keeps_first_occurrences(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a",), ("b",), (None,), ("c",), ("b",)], ["s"])
    out = df.select(F.listagg_distinct("s", "-"), F.listagg("s", "-"))
    assert rows(out) == [("a-b-c", "a-b-c-b")]
    nulls = spark.createDataFrame([(None,), (None,)], "s string")
    assert rows(nulls.select(F.listagg_distinct("s"), F.listagg("s"))) == [(None, None)]


def test_day_time_intervals_show_like_spark(spark: SparkSession) -> None:
    df = spark.createDataFrame([[1, 12, 30, 1.001001]], ["day", "hour", "min", "sec"])
    out = df.select(F.make_dt_interval("day", "hour", "min", "sec").alias("i"))
    assert "INTERVAL '1 12:30:01.001001' DAY TO SECOND" in show_string(out, truncate=False)
    assert rows(out) == [
        (datetime.timedelta(days=1, hours=12, minutes=30, seconds=1, microseconds=1001),)
    ]


def test_listagg_joins_bytes(spark: SparkSession) -> None:
    df = spark.createDataFrame([(b"\x01",), (b"\x02",), (None,), (b"\x03",)], "bytes binary")
    out = df.select(F.listagg("bytes", b"B"))
    assert out.columns == ["listagg(bytes, X'42')"]
    assert rows(out) == [(bytearray(b"\x01B\x02B\x03"),)]
    assert "[01 42 02 42 03]" in show_string(out)


def test_calendar_intervals_show_like_spark(spark: SparkSession) -> None:
    parts = [F.lit(v) for v in (100, 11, 1, 1, 12, 30)] + [F.lit(1.001001)]
    out = spark.range(1).select(F.make_interval(*parts).alias("i"))
    text = show_string(out, truncate=False)
    assert "100 years 11 months 8 days 12 hours 30 minutes 1.001001 seconds" in text


def test_like_with_another_escape_character(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("%SystemDrive%/Users/John", "/%SystemDrive/%//Users%"), ("C:/Users", "/%SystemDrive/%%")],
        ["a", "b"],
    )
    out = df.select(
        F.like("a", "b", F.lit("/")).alias("column_pattern"),
        F.like("a", F.lit("/%SystemDrive/%//Users%"), F.lit("/")).alias("literal_pattern"),
        F.ilike("a", F.lit("/%systemdrive/%%"), F.lit("/")).alias("ignoring_case"),
    )
    assert rows(out) == [(True, True, True), (False, False, False)]


def test_timestamp_diff_counts_wall_clock_time_across_a_clock_change(spark: SparkSession) -> None:
    with session_time_zone(spark, "America/New_York"):
        df = spark.createDataFrame([("2024-03-10 01:30:00", "2024-03-10 03:15:00")], ["a", "b"])
        a, b = F.to_timestamp("a"), F.to_timestamp("b")
        out = df.select(
            F.timestamp_diff("minute", a, b),
            (F.unix_timestamp(b) - F.unix_timestamp(a)) / 60,
            F.date_format(F.timestamp_add("day", F.lit(1), a), "yyyy-MM-dd HH:mm"),
        )
        assert rows(out) == [(105, 45.0, "2024-03-11 01:30")]


def test_csv_functions_read_and_write_lines(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1,2,",), ("4,x,6",), (None,)], ["line"])
    parsed = df.select(F.from_csv("line", "a INT, b INT, c INT").alias("r"))
    assert parsed.columns == ["r"]
    assert [r["r"] for r in parsed.collect()] == [(1, 2, None), (4, None, 6), None]
    spaced = spark.createDataFrame([("   abc",)], ["v"])
    trimmed = spaced.select(F.from_csv("v", "s string", {"ignoreLeadingWhiteSpace": True}))
    assert rows(trimmed) == [(("abc",),)]
    nested = spark.createDataFrame(
        [(1, ("Alice", [100, 200]))], "k int, v struct<name: string, s: array<int>>"
    )
    assert rows(nested.select(F.to_csv("v"))) == [('Alice,"[100, 200]"',)]
    inferred = spark.range(1).select(F.schema_of_csv(F.lit("1||true"), {"sep": "|"}))
    assert rows(inferred) == [("STRUCT<_c0: INT, _c1: STRING, _c2: BOOLEAN>",)]


def test_sentences_split_text_into_words(spark: SparkSession) -> None:
    df = spark.createDataFrame([("Hi there! Good morning, it's 9.5 degrees.",), (None,)], ["s"])
    out = df.select(F.sentences("s"))
    assert out.columns == ["sentences(s, , )"]
    assert rows(out) == [
        ([["Hi", "there"], ["Good", "morning", "it's", "9.5", "degrees"]],),
        (None,),
    ]


def test_number_formats_read_and_write(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("$78.12", 78.12, -12454.8)], "s STRING, d DOUBLE, n DOUBLE")
    row = frame.select(
        F.to_number("s", F.lit("$99.99")).alias("num"),
        F.to_char("d", F.lit("$99.99")).alias("char"),
        F.to_varchar(F.lit(12454), F.lit("99G999")).alias("grouped"),
        F.to_char("n", F.lit("99G999D9S")).alias("signed"),
        F.to_char(F.lit(454), F.lit("00000")).alias("zeros"),
        F.try_to_number(F.lit("77"), F.lit("$99.99")).alias("bad"),
    ).first()
    assert row is not None
    assert row.num == Decimal("78.12")
    assert (row.char, row.grouped, row.signed, row.zeros) == (
        "$78.12",
        "12,454",
        "12,454.8-",
        "00454",
    )
    assert row.bad is None
    with pytest.raises(Exception, match="INVALID_FORMAT"):
        spark.range(1).select(F.to_number(F.lit("77"), F.lit("$99.99"))).collect()
    dates = spark.sql("SELECT to_char(DATE'2024-03-05', 'yyyy/MM/dd') AS d").first()
    assert dates is not None and dates.d == "2024/03/05"


def test_xpath_functions(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [("<a><b>b1</b><b>b2</b><c x='7'>c1</c></a>",), (None,)], "x STRING"
    )
    row = frame.select(
        F.xpath("x", F.lit("a/b/text()")).alias("texts"),
        F.xpath("x", F.lit("a/b")).alias("elements"),
        F.xpath_string("x", F.lit("a/c")).alias("string"),
        F.xpath_boolean("x", F.lit("a/c[@x = 7]")).alias("flag"),
        F.xpath_int("x", F.lit("count(a/*) + a/c/@x")).alias("int"),
        F.xpath_double("x", F.lit("a/b")).alias("nan"),
        F.xpath_string("x", F.lit("a/b[last()]")).alias("last"),
    ).collect()
    first, missing = row
    assert first.texts == ["b1", "b2"]
    assert first.elements == [None, None]
    assert (first.string, first.flag, first.int, first.last) == ("c1", True, 10, "b2")
    assert first.nan != first.nan
    assert all(value is None for value in missing)
    numbers = spark.createDataFrame([("<a><b>1</b><b>2</b></a>",)], ["x"]).select(
        F.xpath_long("x", F.lit("sum(a/b)")),
        F.xpath_short("x", F.lit("sum(a/b)")),
        F.xpath_float("x", F.lit("sum(a/b)")),
        F.xpath_number("x", F.lit("sum(a/b)")),
    )
    assert [tuple(r) for r in numbers.collect()] == [(3, 3, 3.0, 3.0)]


def test_year_month_and_calendar_intervals_from_parts(spark: SparkSession) -> None:
    frame = spark.createDataFrame([(2014, 12)], ["year", "month"])
    shown = frame.select(F.make_ym_interval("year", "month"), F.make_ym_interval("year"))
    assert shown.columns == ["make_ym_interval(year, month)", "make_ym_interval(year, 0)"]
    assert show_string(shown, truncate=False).splitlines()[3] == (
        "|INTERVAL '2015-0' YEAR TO MONTH|INTERVAL '2014-0' YEAR TO MONTH|"
    )
    parts = spark.createDataFrame([(100, 11, 1, 1, 12)], ["y", "m", "w", "d", "h"])
    made = parts.select(F.try_make_interval("y", "m", "w", "d", "h"))
    assert made.columns == ["try_make_interval(y, m, w, d, h, 0, 0)"]
    assert "100 years 11 months 8 days 12 hours" in show_string(made, truncate=False)


def test_xml_records_parse_and_infer(spark: SparkSession) -> None:
    inferred = spark.range(1).select(
        F.schema_of_xml(F.lit("<p><a>1</a><a>2</a></p>")),
        F.schema_of_xml(F.lit("<root><person><name>Al</name><age>30</age></person></root>")),
    )
    assert tuple(inferred.first()) == (
        "STRUCT<a: ARRAY<BIGINT>>",
        "STRUCT<person: STRUCT<age: BIGINT, name: STRING>>",
    )
    frame = spark.createDataFrame([("<p><a>1</a><a>2</a><b x='3'>t</b></p>",), (None,)], "v STRING")
    parsed = frame.select(
        F.from_xml("v", "a ARRAY<BIGINT>, b STRUCT<_VALUE: STRING, _x: BIGINT>").alias("r")
    ).collect()
    assert parsed[0].r.a == [1, 2]
    assert (parsed[0].r.b._VALUE, parsed[0].r.b._x) == ("t", 3)
    assert parsed[1].r is None


def test_record_parsers_take_a_schema_inferred_from_a_constant(spark: SparkSession) -> None:
    csv = spark.createDataFrame([("1,2,3",)], ["value"])
    parsed = csv.select(F.from_csv("value", F.schema_of_csv("1,2,3")).alias("r"))
    assert [tuple(r.r) for r in parsed.collect()] == [(1, 2, 3)]
    assert parsed.columns == ["r"]
    js = spark.createDataFrame([('{"a": 1, "b": [1.5]}',)], ["value"])
    read = js.select(F.from_json("value", F.schema_of_json('{"a": 0, "b": [0.5]}')).alias("r"))
    assert read.schema["r"].dataType.simpleString() == "struct<a:bigint,b:array<double>>"
    assert read.first().r.b == [1.5]


def test_structs_are_never_null(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, None)], "a long, b string")
    built = df.select(
        F.struct(F.lit(1).alias("x"), "a", "b").alias("s"),
        F.named_struct(F.lit("k"), F.lit("v")).alias("n"),
    )
    s, n = built.schema.fields
    assert (s.nullable, n.nullable) == (False, False)
    assert built.first().s.b is None  # type: ignore[union-attr]
    # Structs from different values still mix in one array.
    mixed = spark.sql("SELECT array(struct(1, 'a'), struct(2, NULL)) AS s").first()
    assert mixed is not None and mixed.s[1].col2 is None
    assert spark.sql("SELECT named_struct('a', 1, 'b', NULL).a AS a").first().a == 1  # type: ignore[union-attr]


def test_to_json_writes_dates_in_the_date_format(spark: SparkSession) -> None:
    df = spark.createDataFrame([(datetime.date(2022, 2, 22), 1)], "d date, n int")
    out = df.select(F.to_json(F.struct("d", "n"), {"dateFormat": "yyyy/MM/dd"}).alias("j"))
    assert out.first().j == '{"d":"2022/02/22","n":1}'  # type: ignore[union-attr]
