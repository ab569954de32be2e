"""Grouping, aggregate naming, rollup/cube, pivot and window functions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import rows, sorted_rows
from pyspark.errors import ArithmeticException
from pyspark.sql import DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as F


@pytest.fixture
def sales(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("a", "x", 1),
            ("a", "y", 2),
            ("a", "x", 3),
            ("b", "x", 4),
            ("b", "y", None),
            ("c", "y", 6),
        ],
        "k string, g string, v int",
    )


def test_group_by_default_names(sales: DataFrame) -> None:
    out = sales.groupBy("k").agg(
        F.count("*"),
        F.count("v"),
        F.sum("v"),
        F.avg("v"),
        F.min("v"),
        F.max("v"),
        F.countDistinct("g"),
    )
    assert out.columns == [
        "k",
        "count(1)",
        "count(v)",
        "sum(v)",
        "avg(v)",
        "min(v)",
        "max(v)",
        "count(DISTINCT g)",
    ]
    assert rows(out.orderBy("k")) == [
        ("a", 3, 3, 6, 2.0, 1, 3, 2),
        ("b", 2, 1, 4, 4.0, 4, 4, 2),
        ("c", 1, 1, 6, 6.0, 6, 6, 1),
    ]


def test_aggregate_result_types(sales: DataFrame) -> None:
    out = sales.groupBy("k").agg(F.count("*"), F.sum("v"), F.avg("v"), F.max("v"))
    assert out.dtypes == [
        ("k", "string"),
        ("count(1)", "bigint"),
        ("sum(v)", "bigint"),
        ("avg(v)", "double"),
        ("max(v)", "int"),
    ]


def test_grouped_data_shortcuts(sales: DataFrame) -> None:
    counted = sales.groupBy("k").count()
    assert counted.columns == ["k", "count"]
    assert sorted_rows(counted) == [("a", 3), ("b", 2), ("c", 1)]
    assert sales.groupBy("k").sum("v").columns == ["k", "sum(v)"]
    assert sales.groupBy("k").avg("v").columns == ["k", "avg(v)"]
    assert sales.groupBy("k").max("v").columns == ["k", "max(v)"]


def test_global_aggregate(sales: DataFrame) -> None:
    out = sales.agg(F.sum("v").alias("total"), F.count(F.lit(1)).alias("n"))
    assert out.collect() == [Row(total=16, n=6)]
    assert sales.select(F.sum("v")).columns == ["sum(v)"]


def test_aggregate_of_empty_input(sales: DataFrame) -> None:
    empty = sales.filter("v > 100")
    assert rows(empty.agg(F.count("*"), F.sum("v"))) == [(0, None)]
    assert empty.groupBy("k").count().count() == 0


def test_agg_dict_form(sales: DataFrame) -> None:
    out = sales.groupBy("k").agg({"v": "max"})
    assert out.columns == ["k", "max(v)"]
    assert sorted_rows(out) == [("a", 3), ("b", 4), ("c", 6)]
    assert sales.agg({"v": "sum"}).columns == ["sum(v)"]
    assert sales.agg({"*": "count"}).columns == ["count(1)"]


def test_group_by_expression_and_multiple_keys(sales: DataFrame) -> None:
    out = sales.groupBy("k", "g").agg(F.sum("v").alias("s"))
    assert sorted_rows(out) == [
        ("a", "x", 4),
        ("a", "y", 2),
        ("b", "x", 4),
        ("b", "y", None),
        ("c", "y", 6),
    ]
    by_expr = sales.groupBy(F.upper("k").alias("K")).count()
    assert sorted_rows(by_expr) == [("A", 3), ("B", 2), ("C", 1)]


def test_having_style_filter_on_aggregate(sales: DataFrame) -> None:
    out = sales.groupBy("k").agg(F.count("*").alias("n")).filter(F.col("n") > 1)
    assert sorted_rows(out) == [("a", 3), ("b", 2)]


def test_rollup(sales: DataFrame) -> None:
    out = sales.rollup("k").agg(F.sum("v").alias("s"))
    assert sorted_rows(out) == [(None, 16), ("a", 6), ("b", 4), ("c", 6)]
    two = sales.rollup("k", "g").count()
    # 5 (k, g) groups + 3 subtotals by k + 1 grand total
    assert two.count() == 9


def test_cube(sales: DataFrame) -> None:
    out = sales.cube("k", "g").agg(F.count("*").alias("n"))
    # 5 (k, g) + 3 (k, *) + 2 (*, g) + 1 (*, *)
    assert out.count() == 11
    assert sorted_rows(out.filter("k IS NULL")) == [(None, None, 6), (None, "x", 3), (None, "y", 3)]


def test_pivot_with_values(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            (2012, "dotNET", 10000),
            (2012, "dotNET", 5000),
            (2012, "Java", 20000),
            (2013, "dotNET", 48000),
            (2013, "Java", 30000),
        ],
        "year int, course string, earnings int",
    )
    out = df.groupBy("year").pivot("course", ["dotNET", "Java"]).sum("earnings")
    assert out.columns == ["year", "dotNET", "Java"]
    assert rows(out.orderBy("year")) == [(2012, 15000, 20000), (2013, 48000, 30000)]


def test_pivot_without_values_sorts_distinct_values(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("r1", "b", 1), ("r1", "a", 2), ("r2", "c", 3)], "row string, col string, v int"
    )
    out = df.groupBy("row").pivot("col").agg(F.sum("v"))
    assert out.columns == ["row", "a", "b", "c"]
    assert rows(out.orderBy("row")) == [("r1", 2, 1, None), ("r2", None, None, 3)]


def test_window_row_number_and_rank(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", 10), ("a", 20), ("a", 20), ("a", 30), ("b", 5)], "k string, v int"
    )
    w = Window.partitionBy("k").orderBy("v")
    out = df.select(
        "k",
        "v",
        F.row_number().over(w).alias("rn"),
        F.rank().over(w).alias("rank"),
        F.dense_rank().over(w).alias("dense"),
    )
    assert rows(out.orderBy("k", "rn")) == [
        ("a", 10, 1, 1, 1),
        ("a", 20, 2, 2, 2),
        ("a", 20, 3, 2, 2),
        ("a", 30, 4, 4, 3),
        ("b", 5, 1, 1, 1),
    ]


def test_window_sum_over_partition_and_running_total(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1), ("a", 2), ("a", 2), ("b", 5)], "k string, v int")
    whole = Window.partitionBy("k")
    # With ORDER BY and no frame, Spark uses RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW:
    # rows tied on v share the same running total.
    running = Window.partitionBy("k").orderBy("v")
    out = df.select(
        "k",
        "v",
        F.sum("v").over(whole).alias("total"),
        F.sum("v").over(running).alias("running"),
    )
    assert sorted_rows(out) == [("a", 1, 5, 1), ("a", 2, 5, 5), ("a", 2, 5, 5), ("b", 5, 5, 5)]


def test_window_rows_frame_and_lag(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 10), (2, 20), (3, 30)], "t int, v int")
    w = Window.orderBy("t")
    out = df.select(
        "t",
        F.lag("v").over(w).alias("prev"),
        F.lead("v", 1, 0).over(w).alias("next"),
        F.sum("v").over(w.rowsBetween(-1, 0)).alias("pair"),
    )
    assert rows(out.orderBy("t")) == [(1, None, 20, 10), (2, 10, 30, 30), (3, 20, 0, 50)]


# --- statistics and percentiles (values from Spark's documentation) ------------------------------


def test_product(spark: SparkSession) -> None:
    df = spark.range(1, 10).toDF("x").withColumn("mod3", F.col("x") % 3)
    out = df.groupBy("mod3").agg(F.product("x").alias("p")).orderBy("mod3")
    assert rows(out) == [(0, 162.0), (1, 28.0), (2, 80.0)]
    nulls = spark.createDataFrame([(None,)], "x int")
    assert rows(nulls.select(F.product("x"))) == [(None,)]


def test_skewness_and_kurtosis(spark: SparkSession) -> None:
    df = spark.createDataFrame([[1], [1], [2]], ["c"])
    row = df.select(F.skewness("c"), F.kurtosis("c")).first()
    assert row is not None
    assert df.select(F.skewness("c"), F.kurtosis("c")).columns == ["skewness(c)", "kurtosis(c)"]
    assert row[0] == pytest.approx(0.7071067811865475)
    assert row[1] == pytest.approx(-1.5)
    constant = spark.createDataFrame([[3], [3]], ["c"])
    assert rows(constant.select(F.skewness("c"), F.kurtosis("c"))) == [(None, None)]


def test_mode_by_group(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("Java", 2012, 20000),
            ("dotNET", 2012, 5000),
            ("Java", 2012, 20000),
            ("dotNET", 2012, 5000),
            ("dotNET", 2013, 48000),
            ("Java", 2013, 30000),
        ],
        schema=("course", "year", "earnings"),
    )
    out = df.groupby("course").agg(F.mode("year")).orderBy("course")
    assert out.columns == ["course", "mode(year)"]
    assert rows(out) == [("Java", 2012), ("dotNET", 2012)]


def test_percentile_interpolates_and_counts_frequencies(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 1), (2, 1), (3, 1), (4, 1)], "v int, f int")
    out = df.select(
        F.percentile("v", 0.5).alias("median"),
        F.percentile("v", [0.25, 0.75]).alias("quartiles"),
    )
    assert rows(out) == [(2.5, [1.75, 3.25])]
    weighted = spark.createDataFrame([(1, 3), (10, 1)], "v int, f int")
    assert rows(weighted.select(F.percentile("v", 0.5, F.col("f")))) == [(1.0,)]
    empty = spark.createDataFrame([(None,)], "v int")
    assert rows(empty.select(F.percentile("v", 0.5))) == [(None,)]


def test_percentile_approx_returns_values_of_the_column(spark: SparkSession) -> None:
    df = spark.createDataFrame([(0,), (6,), (7,), (9,), (10,)], "col int")
    assert rows(df.select(F.percentile_approx("col", 0.5, 100))) == [(7,)]
    small = spark.createDataFrame([(0,), (1,), (2,), (10,)], "col int")
    out = small.select(F.percentile_approx("col", [0.5, 0.4, 0.1], 100).alias("q"))
    assert rows(out) == [([1, 1, 0],)]
    assert dict(out.dtypes)["q"] == "array<int>"
    sql = spark.sql(
        "SELECT approx_percentile(col, 0.5) FROM VALUES (0), (6), (7), (9), (10) AS t(col)"
    )
    assert rows(sql) == [(7,)]


def test_order_sensitive_aggregates_follow_a_sorted_input(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("Alice", 2), ("Bob", 5), ("Alice", None), ("Alice", 1), ("Carl", None)], ("name", "age")
    )
    ordered = df.orderBy(F.col("age").desc_nulls_last())
    out = ordered.groupBy("name").agg(
        F.first("age").alias("first"),
        F.last("age").alias("last"),
        F.collect_list("age").alias("all"),
    )
    assert rows(out.orderBy("name")) == [
        ("Alice", 2, None, [2, 1]),
        ("Bob", 5, 5, [5]),
        ("Carl", None, None, []),
    ]


def test_sorting_exploded_groups_uses_every_key(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("a", 3), ("a", 1), ("b", 2), ("a", 2)], "k STRING, v INT")
    grouped = frame.groupBy("k").agg(F.collect_list("v").alias("vs"))
    exploded = grouped.select("k", F.explode("vs").alias("v"))
    assert [tuple(r) for r in exploded.orderBy("k", "v").collect()] == [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b", 2),
    ]
    counted = exploded.groupBy("k", "v").count().orderBy("k", "v")
    assert [tuple(r) for r in counted.collect()] == [
        ("a", 1, 1),
        ("a", 2, 1),
        ("a", 3, 1),
        ("b", 2, 1),
    ]


def test_average_of_decimals_stays_a_decimal(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(Decimal("1.5"), "a"), (Decimal(2), "a"), (Decimal("-0.00005"), "b"), (None, "c")],
        "n decimal(10,1), k string",
    )
    out = df.select(F.avg("n"), F.try_avg("n"))
    assert [f.dataType.simpleString() for f in out.schema] == ["decimal(14,5)"] * 2
    assert tuple(out.first()) == (Decimal("1.16667"), Decimal("1.16667"))  # type: ignore[arg-type]
    grouped = df.groupBy("k").agg(F.avg("n").alias("m")).orderBy("k").collect()
    assert [r.m for r in grouped] == [Decimal("1.75000"), Decimal("0.00000"), None]
    distinct = spark.sql(
        "SELECT avg(DISTINCT x) AS d FROM VALUES (CAST(1.25 AS DECIMAL(5,2))), "
        "(CAST(1.25 AS DECIMAL(5,2))), (CAST(-2.5 AS DECIMAL(5,2))) AS t(x)"
    ).first()
    assert distinct is not None and distinct.d == Decimal("-0.625000")
    sliding = spark.sql(
        "SELECT avg(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS m "
        "FROM VALUES (CAST(1 AS DECIMAL(3,0))), (CAST(2 AS DECIMAL(3,0))), "
        "(CAST(4 AS DECIMAL(3,0))) AS t(x)"
    )
    assert [r.m for r in sliding.collect()] == [
        Decimal("1.0000"),
        Decimal("1.5000"),
        Decimal("3.0000"),
    ]


def test_average_that_overflows_fails_or_is_null(spark: SparkSession) -> None:
    df = spark.createDataFrame([(Decimal("1" * 38),), (Decimal(0),)], "n decimal(38,0)")
    assert df.select(F.try_avg("n").alias("m")).first().m is None  # type: ignore[union-attr]
    with pytest.raises(ArithmeticException, match="NUMERIC_VALUE_OUT_OF_RANGE"):
        df.select(F.avg("n")).collect()
    assert (
        spark.sql("SELECT avg(DISTINCT x) AS m FROM VALUES (1), (1), (4) AS t(x)").first().m == 2.5
    )  # type: ignore[union-attr]


def test_window_frame_names_follow_how_they_were_written(spark: SparkSession) -> None:
    df = spark.range(3)
    api = df.select(F.sum("id").over(Window.orderBy("id").rowsBetween(-1, 2)))
    assert api.columns == [
        "sum(id) OVER (ORDER BY id ASC NULLS FIRST ROWS BETWEEN -1 FOLLOWING AND 2 FOLLOWING)"
    ]
    sql = spark.sql(
        "SELECT sum(id) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) FROM range(3)"
    )
    assert sql.columns == [
        "sum(id) OVER (ORDER BY id ASC NULLS FIRST ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)"
    ]


def test_grouped_decimal_average_keeps_spark_type(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("a", Decimal("1.10")),
            ("a", Decimal("2.25")),
            ("b", None),
            ("b", Decimal("-3.33")),
            ("c", None),
            ("a", Decimal("2.00")),
        ],
        "k string, v decimal(10,2)",
    )
    df.createOrReplaceTempView("decimal_groups")
    out = spark.sql(
        "SELECT k, avg(v) AS m, avg(v) FILTER (WHERE v > 2) AS big "
        "FROM decimal_groups GROUP BY k ORDER BY k"
    )
    assert out.schema["m"].dataType.simpleString() == "decimal(14,6)"
    assert [tuple(r) for r in out.collect()] == [
        ("a", Decimal("1.783333"), Decimal("2.250000")),
        ("b", Decimal("-3.330000"), None),
        ("c", None, None),
    ]
