"""Scalar functions and Column operators, with Spark's result names, types and null handling."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from helpers import rows
from pyspark.errors import NumberFormatException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


@pytest.fixture
def words(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, "Spark", "SQL"), (2, "ember", None), (3, None, "x")], "id int, a string, b string"
    )


# --- casts --------------------------------------------------------------------------------------


def test_invalid_cast_raises_under_ansi(spark: SparkSession) -> None:
    df = spark.createDataFrame([("abc",)], ["s"])
    with pytest.raises(NumberFormatException) as info:
        df.select(F.col("s").cast("int")).collect()
    assert info.value.getCondition() == "CAST_INVALID_INPUT"
    assert rows(df.select(F.col("s").try_cast("int"))) == [(None,)]


# --- conditionals and nulls ---------------------------------------------------------------------


def test_when_otherwise(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (5,), (None,)], "v int")
    out = df.select(F.when(F.col("v") > 2, "big").otherwise("small"))
    assert out.columns == ["CASE WHEN (v > 2) THEN big ELSE small END"]
    assert rows(out) == [("small",), ("big",), ("small",)]
    no_else = df.select(F.when(F.col("v") > 2, 1).alias("flag"))
    assert rows(no_else) == [(None,), (1,), (None,)]


def test_chained_when(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (5,), (10,)], "v int")
    grade = F.when(F.col("v") >= 10, "high").when(F.col("v") >= 5, "mid").otherwise("low")
    assert [r[0] for r in df.select(grade).collect()] == ["low", "mid", "high"]


def test_coalesce(words: DataFrame) -> None:
    out = words.select(F.coalesce("a", "b", F.lit("none")))
    assert out.columns == ["coalesce(a, b, none)"]
    assert rows(out) == [("Spark",), ("ember",), ("x",)]


def test_is_null_and_is_not_null(words: DataFrame) -> None:
    assert [r.id for r in words.filter(F.col("b").isNull()).collect()] == [2]
    assert [r.id for r in words.filter(F.col("a").isNotNull()).collect()] == [1, 2]
    out = words.select(F.col("a").isNull(), F.isnull("b"))
    assert out.columns == ["(a IS NULL)", "(b IS NULL)"]


def test_null_comparison_and_null_safe_equality(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, None), (None, None), (2, 2)], "x int, y int")
    assert rows(df.select(F.col("x") == F.col("y"))) == [(None,), (None,), (True,)]
    assert rows(df.select(F.col("x").eqNullSafe(F.col("y")))) == [(False,), (True,), (True,)]


# --- strings ------------------------------------------------------------------------------------


def test_concat_propagates_null(words: DataFrame) -> None:
    out = words.select(F.concat("a", F.lit("-"), "b"))
    assert out.columns == ["concat(a, -, b)"]
    assert rows(out) == [("Spark-SQL",), (None,), (None,)]


def test_concat_ws_skips_null(words: DataFrame) -> None:
    out = words.select(F.concat_ws("-", "a", "b"))
    assert out.columns == ["concat_ws(-, a, b)"]
    assert rows(out) == [("Spark-SQL",), ("ember",), ("x",)]


def test_upper_lower_length(words: DataFrame) -> None:
    out = words.select(F.upper("a"), F.lower("a"), F.length("a"))
    assert out.columns == ["upper(a)", "lower(a)", "length(a)"]
    assert rows(out) == [("SPARK", "spark", 5), ("EMBER", "ember", 5), (None, None, None)]


def test_substring_is_one_based(words: DataFrame) -> None:
    out = words.select(F.substring("a", 1, 3), F.col("a").substr(2, 2), F.substring("a", -2, 2))
    assert out.columns[0] == "substring(a, 1, 3)"
    assert rows(out)[:2] == [("Spa", "pa", "rk"), ("emb", "mb", "er")]


def test_trim_and_padding(spark: SparkSession) -> None:
    df = spark.createDataFrame([("  hi  ",)], ["s"])
    out = df.select(F.trim("s"), F.ltrim("s"), F.rtrim("s"), F.lpad(F.trim("s"), 4, "*"))
    assert rows(out) == [("hi", "hi  ", "  hi", "**hi")]


# --- membership and ranges ----------------------------------------------------------------------


def test_isin(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (2,), (3,), (None,)], "v int")
    assert [r.v for r in df.filter(F.col("v").isin(1, 3)).collect()] == [1, 3]
    assert [r.v for r in df.filter(F.col("v").isin([2])).collect()] == [2]
    assert [r.v for r in df.filter(~F.col("v").isin(1, 3)).collect()] == [2]


def test_between_is_inclusive(spark: SparkSession) -> None:
    df = spark.range(10)
    assert [r.id for r in df.filter(F.col("id").between(3, 5)).collect()] == [3, 4, 5]
    assert df.select(F.col("id").between(3, 5)).columns == ["((id >= 3) AND (id <= 5))"]


# --- arithmetic ---------------------------------------------------------------------------------


def test_arithmetic_types(spark: SparkSession) -> None:
    df = spark.createDataFrame([(7, 2)], "a int, b int")
    out = df.select(F.col("a") / F.col("b"), F.col("a") % F.col("b"), F.col("a") - F.col("b"))
    # `/` on integers is true division returning double.
    assert out.dtypes == [("(a / b)", "double"), ("(a % b)", "int"), ("(a - b)", "int")]
    assert rows(out) == [(3.5, 1, 5)]


# --- literals -----------------------------------------------------------------------------------


# --- dates and times ----------------------------------------------------------------------------


def test_to_date(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2024-03-01", "01/04/2024")], "iso string, eu string")
    out = df.select(F.to_date("iso"), F.to_date("eu", "dd/MM/yyyy"))
    assert out.columns == ["to_date(iso)", "to_date(eu, dd/MM/yyyy)"]
    assert out.dtypes[0][1] == "date"
    assert rows(out) == [(datetime.date(2024, 3, 1), datetime.date(2024, 4, 1))]


def test_from_unixtime_names(spark: SparkSession) -> None:
    df = spark.createDataFrame([(0,)], "ts long")
    out = df.select(F.from_unixtime("ts"), F.to_timestamp(F.from_unixtime("ts")))
    assert out.columns == [
        "from_unixtime(ts, yyyy-MM-dd HH:mm:ss)",
        "to_timestamp(from_unixtime(ts, yyyy-MM-dd HH:mm:ss))",
    ]


def test_date_format_and_parts(spark: SparkSession) -> None:
    df = spark.createDataFrame([(datetime.date(2024, 3, 9),)], "d date")
    out = df.select(
        F.date_format("d", "yyyy/MM/dd"),
        F.year("d"),
        F.month("d"),
        F.dayofmonth("d"),
        F.date_add("d", 30),
        F.datediff(F.lit(datetime.date(2024, 3, 1)), "d"),
    )
    assert out.columns[:2] == ["date_format(d, yyyy/MM/dd)", "year(d)"]
    assert rows(out) == [("2024/03/09", 2024, 3, 9, datetime.date(2024, 4, 8), -8)]


def test_type_name_functions_cast(spark: SparkSession) -> None:
    df = spark.sql("SELECT 1 AS c1, int(NULL) AS c2, string(12) AS c3, double('1.5') AS c4")
    assert [t for _, t in df.dtypes][1:] == ["int", "string", "double"]
    assert rows(df.na.fill(2)) == [(1, 2, "12", 1.5)]


def test_cast_to_decimal_and_date(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1.25", "2024-03-01")], "n string, d string")
    out = df.select(F.col("n").cast("decimal(10,2)"), F.col("d").cast("date"))
    assert out.dtypes == [("n", "decimal(10,2)"), ("d", "date")]
    assert rows(out) == [(Decimal("1.25"), datetime.date(2024, 3, 1))]


def test_like_rlike_contains(words: DataFrame) -> None:
    assert [r.id for r in words.filter(F.col("a").like("Sp%")).collect()] == [1]
    assert [r.id for r in words.filter(F.col("a").like("_mber")).collect()] == [2]
    assert [r.id for r in words.filter(F.col("a").rlike("^[a-z]+$")).collect()] == [2]
    assert [r.id for r in words.filter(F.col("a").contains("ar")).collect()] == [1]
    assert [r.id for r in words.filter(F.col("a").startswith("e")).collect()] == [2]


def test_cast_keeps_column_name(spark: SparkSession) -> None:
    df = spark.createDataFrame([("42", 3.7, 1)], "s string, d double, i int")
    out = df.select(
        F.col("s").cast("int"),
        F.col("d").cast("int"),
        F.col("i").cast("string"),
        F.col("i").cast("boolean"),
        (F.col("i") + 1).cast("string"),
    )
    # Column.cast of a named column keeps that name; other expressions get CAST(...).
    assert out.dtypes == [
        ("s", "int"),
        ("d", "int"),
        ("i", "string"),
        ("i", "boolean"),
        ("CAST((i + 1) AS STRING)", "string"),
    ]
    assert rows(out) == [(42, 3, "1", True, "2")]


def test_sql_cast_names(spark: SparkSession) -> None:
    df = spark.createDataFrame([("42", 1)], "s string, i int")
    out = df.selectExpr("CAST(s AS INT)", "CAST(i AS STRING)", "CAST(s AS DOUBLE) AS sd")
    assert out.dtypes == [("s", "int"), ("i", "string"), ("sd", "double")]
    assert rows(out) == [(42, "1", 42.0)]


def test_try_divide_gives_null_for_a_zero_divisor(spark: SparkSession) -> None:
    df = spark.createDataFrame([(6, 3), (1, 0)], ["a", "b"])
    rows = df.select(F.try_divide("a", "b").alias("q")).collect()
    assert [r.q for r in rows] == [2.0, None]
    row = spark.sql("SELECT try_divide(1, 0) AS z, try_divide(6, 3) AS q").first()
    assert row is not None and (row.z, row.q) == (None, 2.0)


def test_raise_error_fails_only_rows_that_reach_it(spark: SparkSession) -> None:
    df = spark.range(2)
    ok = df.select(F.when(F.col("id") >= 0, 1).otherwise(F.raise_error("unreachable")))
    assert [r[0] for r in ok.collect()] == [1, 1]
    with pytest.raises(Exception, match="USER_RAISED_EXCEPTION") as raised:
        df.select(F.raise_error("boom")).collect()
    assert "boom" in str(raised.value)


def test_rand_with_a_seed_draws_sparks_sequence(spark: SparkSession) -> None:
    # Spark 4.1.1: spark.range(0, 2, 1, 1).select(rand(seed=42)) on one partition.
    rows = spark.range(0, 2, 1, 1).select(F.rand(seed=42).alias("r")).collect()
    assert [round(r.r, 12) for r in rows] == [0.619189370225, 0.509601884245]


def test_uniform_and_randstr_draw_sparks_sequences(spark: SparkSession) -> None:
    # Spark 4.1.1 on one partition; each partition of a bigger range has its own seed.
    frame = spark.range(0, 4, 1, 1).select(F.uniform(5, 105, 3), F.randstr(16, 3))
    assert frame.columns == ["uniform(5, 105, 3)", "randstr(16, 3)"]
    assert [tuple(r) for r in frame.collect()] == [
        (30, "nurJIpH4cmmMnsCG"),
        (71, "fl9YtT5m01trZtIt"),
        (99, "PD19rAgscTHS7qQZ"),
        (77, "2CuAICF5UJOruVv4"),
    ]
    doubles = spark.range(0, 3, 1, 1).select(F.uniform(F.lit(0.0), F.lit(1.0), F.lit(42)))
    assert [round(r[0], 12) for r in doubles.collect()][:2] == [0.619189370225, 0.509601884245]


def test_spark_partition_id_follows_range_slices(spark: SparkSession) -> None:
    df = spark.range(0, 10, 1, 3).select("id", F.spark_partition_id())
    assert df.columns == ["id", "SPARK_PARTITION_ID()"]
    by_partition = {r.id: r[1] for r in df.collect()}
    assert by_partition == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 2, 7: 2, 8: 2, 9: 2}


def test_format_number(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1234567.891,), (None,), (5.0,)], "x double")
    rows = df.select(F.format_number("x", 2).alias("f")).collect()
    assert [r.f for r in rows] == ["1,234,567.89", None, "5.00"]
    row = spark.range(1).select(F.format_number(F.lit(12345), 0).alias("f")).first()
    assert row is not None and row.f == "12,345"


def test_higher_order_array_functions(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, [1, 2, 3, 4]), (2, [5, None])], ("key", "values"))
    row = df.select(
        F.transform("values", lambda x: x * 2).alias("doubled"),
        F.filter("values", lambda x: x % 2 == 0).alias("even"),
        F.exists("values", lambda x: x > 3).alias("any"),
        F.forall("values", lambda x: x > 0).alias("all"),
        F.transform("values", lambda x: x + F.col("key")).alias("shifted"),
    ).collect()
    assert [tuple(r) for r in row] == [
        ([2, 4, 6, 8], [2, 4], True, True, [2, 3, 4, 5]),
        ([10, None], [], True, None, [7, None]),
    ]
    texts = df.selectExpr("transform(values, x -> x + 1) AS t").collect()
    assert [r.t for r in texts] == [[2, 3, 4, 5], [6, None]]


def test_randn_with_a_seed_draws_sparks_sequence(spark: SparkSession) -> None:
    # Spark 4.1.1: spark.range(0, 2, 1, 1).select(randn(seed=42)) on one partition.
    rows = spark.range(0, 2, 1, 1).select(F.randn(seed=42).alias("r")).collect()
    assert [round(r.r, 12) for r in rows] == [2.384479054241, 0.192093404129]


def test_typeof_names_spark_types(spark: SparkSession) -> None:
    df = spark.createDataFrame([(True, 1, [1], None)], "a boolean, b bigint, c array<int>, d date")
    row = df.select(F.typeof("a"), F.typeof("b"), F.typeof("c"), F.typeof("d")).first()
    assert row is not None and tuple(row) == ("boolean", "bigint", "array<int>", "date")
    assert df.select(F.typeof("a")).columns == ["typeof(a)"]


def test_explode_and_explode_outer(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, [1, 2, 3]), (2, []), (3, None)], ("id", "values"))
    exploded = df.select("id", F.explode("values"))
    assert exploded.columns == ["id", "col"]
    assert [tuple(r) for r in exploded.collect()] == [(1, 1), (1, 2), (1, 3)]
    outer = df.select("id", F.explode_outer("values").alias("v")).collect()
    assert [tuple(r) for r in outer] == [(1, 1), (1, 2), (1, 3), (2, None), (3, None)]
    added = df.withColumn("v", F.explode("values")).select("id", "v").collect()
    assert [tuple(r) for r in added] == [(1, 1), (1, 2), (1, 3)]
    tags = spark.createDataFrame([(1, ["a", "b"])], "id int, tags array<string>")
    assert [r.tag for r in tags.selectExpr("explode(tags) AS tag").collect()] == ["a", "b"]


def test_small_spark_functions(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, True, [1, 2], "2015-04-08", 5), (None, False, [], "2015-04-09", 3)],
        "a int, b boolean, c array<int>, d string, n long",
    )
    rows = df.select(
        F.bitwise_not("a"),
        F.equal_null("a", F.lit(None)),
        F.array_size("c"),
        F.date_add("d", 1),
        F.factorial("n"),
    ).collect()
    assert [tuple(r) for r in rows] == [
        (-2, False, 2, datetime.date(2015, 4, 9), 120),
        (None, True, 0, datetime.date(2015, 4, 10), 6),
    ]
    assert df.select(F.bitwise_not("a")).columns == ["~a"]
    flags = df.select(F.every("b"), F.some("b"), F.count_if("b")).first()
    assert flags is not None and tuple(flags) == (False, True, 1)


def test_split_sign_size_and_variance(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, "a,b,,c", [1, 2], -2.5), (2, None, None, 0.0), (3, "x", [], 3.0)],
        "id int, s string, arr array<int>, d double",
    )
    rows = (
        df.select(
            "id",
            F.split("s", ","),
            F.split(F.lit("oneAtwoBthreeC"), "[ABC]", 2),
            F.size("arr"),
            F.signum("d"),
        )
        .orderBy("id")
        .collect()
    )
    assert [tuple(r) for r in rows] == [
        (1, ["a", "b", "", "c"], ["one", "twoBthreeC"], 2, -1.0),
        (2, None, ["one", "twoBthreeC"], None, 0.0),
        (3, ["x"], ["one", "twoBthreeC"], 0, 1.0),
    ]
    assert df.select(F.signum("id")).columns == ["SIGNUM(id)"]
    sql = spark.sql(
        "SELECT variance(id), split('a1b22c', '[0-9]+'), split('abc', '') "
        "FROM VALUES (1), (2), (3) AS t(id)"
    )
    assert sql.columns[1:] == ["split(a1b22c, [0-9]+, -1)", "split(abc, , -1)"]
    assert [tuple(r) for r in sql.collect()] == [(1.0, ["a", "b", "c"], ["a", "b", "c"])]


def test_max_by_and_min_by_skip_null_orderings(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "x", 3), ("a", "y", 7), ("a", "z", None), ("b", None, 1), ("b", "w", 0)]
        + [("c", "q", None)],
        "k string, v string, n int",
    )
    out = df.groupBy("k").agg(F.max_by("v", "n"), F.min_by("v", "n")).orderBy("k")
    assert out.columns == ["k", "max_by(v, n)", "min_by(v, n)"]
    assert [tuple(r) for r in out.collect()] == [
        ("a", "y", "x"),
        ("b", None, "w"),
        ("c", None, None),
    ]
