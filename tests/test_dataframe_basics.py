"""DataFrame construction, projection, filtering, ordering, set operations and actions."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from helpers import rows, show_string, sorted_rows
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType


@pytest.fixture
def people(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, "Alice", 34), (2, "Bob", 45), (3, "Cathy", None), (4, "Dan", 29)],
        "id long, name string, age int",
    )


# --- construction -------------------------------------------------------------------------------


def test_create_from_tuples_with_column_names(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a"), (2, "b")], ["id", "name"])
    assert df.columns == ["id", "name"]
    assert df.dtypes == [("id", "bigint"), ("name", "string")]
    assert df.collect() == [Row(id=1, name="a"), Row(id=2, name="b")]


def test_create_from_rows(spark: SparkSession) -> None:
    df = spark.createDataFrame([Row(a=1, b="x", c=1.5), Row(a=2, b="y", c=None)])
    assert df.dtypes == [("a", "bigint"), ("b", "string"), ("c", "double")]
    assert rows(df) == [(1, "x", 1.5), (2, "y", None)]


def test_create_from_dicts(spark: SparkSession) -> None:
    df = spark.createDataFrame([{"name": "a", "value": 1}, {"name": "b", "value": 2}])
    assert df.dtypes == [("name", "string"), ("value", "bigint")]
    assert rows(df.orderBy("value")) == [("a", 1), ("b", 2)]


def test_create_from_pandas(spark: SparkSession) -> None:
    pdf = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"], "z": [0.5, 1.5, 2.5]})
    df = spark.createDataFrame(pdf)
    assert df.dtypes == [("x", "bigint"), ("y", "string"), ("z", "double")]
    assert rows(df) == [(1, "a", 0.5), (2, "b", 1.5), (3, "c", 2.5)]


def test_create_with_ddl_schema(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "x")], "a int, b string")
    assert df.dtypes == [("a", "int"), ("b", "string")]
    assert df.schema.fieldNames() == ["a", "b"]


def test_range(spark: SparkSession) -> None:
    assert spark.range(3).dtypes == [("id", "bigint")]
    assert [r.id for r in spark.range(3).collect()] == [0, 1, 2]
    assert [r.id for r in spark.range(0, 10, 3).collect()] == [0, 3, 6, 9]
    assert [r.id for r in spark.range(5, 0, -2).collect()] == [5, 3, 1]


def test_to_df_renames_all_columns(people: DataFrame) -> None:
    df = people.toDF("a", "b", "c")
    assert df.columns == ["a", "b", "c"]
    assert df.filter("a = 1").first() == Row(a=1, b="Alice", c=34)


# --- projection ---------------------------------------------------------------------------------


def test_select_by_name_and_column(people: DataFrame) -> None:
    df = people.select("name", F.col("age"), people.id)
    assert df.columns == ["name", "age", "id"]
    assert df.first() == Row(name="Alice", age=34, id=1)


def test_select_expr(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 2)], ["a", "b"])
    out = df.selectExpr("a + b", "a * 10 AS tens", "upper('x')")
    assert out.columns == ["(a + b)", "tens", "upper(x)"]
    assert rows(out) == [(3, 10, "X")]


def test_star_select(people: DataFrame) -> None:
    assert people.select("*").columns == ["id", "name", "age"]


def test_with_column_adds_and_replaces(people: DataFrame) -> None:
    df = people.withColumn("age2", F.col("age") * 2).withColumn("name", F.upper("name"))
    assert df.columns == ["id", "name", "age", "age2"]
    assert df.filter("id = 1").first() == Row(id=1, name="ALICE", age=34, age2=68)


def test_with_column_renamed(people: DataFrame) -> None:
    df = people.withColumnRenamed("name", "full_name").withColumnRenamed("missing", "x")
    assert df.columns == ["id", "full_name", "age"]


def test_drop(people: DataFrame) -> None:
    assert people.drop("age").columns == ["id", "name"]
    assert people.drop("age", "name").columns == ["id"]
    assert people.drop("no_such_column").columns == ["id", "name", "age"]


# --- filtering ----------------------------------------------------------------------------------


def test_filter_with_sql_string(people: DataFrame) -> None:
    assert rows(people.filter("age > 30").select("name")) == [("Alice",), ("Bob",)]


def test_where_with_column_condition(people: DataFrame) -> None:
    df = people.where((F.col("age") < 40) & (F.col("id") > 1))
    assert rows(df.select("name")) == [("Dan",)]


def test_filter_drops_null_comparisons(people: DataFrame) -> None:
    # age is NULL for Cathy: NULL > 0 is NULL, which a filter treats as false.
    assert people.filter(F.col("age") > 0).count() == 3
    assert people.filter(~(F.col("age") > 0)).count() == 0


# --- distinct, ordering, limits -----------------------------------------------------------------


def test_distinct_and_drop_duplicates(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a"), (1, "a"), (1, "b"), (2, "b")], ["k", "v"])
    assert df.distinct().count() == 3
    assert df.dropDuplicates().count() == 3
    assert sorted(r.k for r in df.dropDuplicates(["k"]).collect()) == [1, 2]
    assert df.dropDuplicates(["v"]).count() == 2


def test_order_by_puts_nulls_first_ascending_and_last_descending(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2,), (None,), (3,), (1,)], "v int")
    assert [r.v for r in df.orderBy("v").collect()] == [None, 1, 2, 3]
    assert [r.v for r in df.orderBy(F.col("v").desc()).collect()] == [3, 2, 1, None]
    assert [r.v for r in df.orderBy(F.desc("v")).collect()] == [3, 2, 1, None]
    assert [r.v for r in df.sort("v", ascending=False).collect()] == [3, 2, 1, None]


def test_order_by_explicit_null_placement(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2,), (None,), (1,)], "v int")
    assert [r.v for r in df.orderBy(F.col("v").asc_nulls_last()).collect()] == [1, 2, None]
    assert [r.v for r in df.orderBy(F.col("v").desc_nulls_first()).collect()] == [None, 2, 1]


def test_order_by_several_keys(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 2), ("b", 1), ("a", 1)], ["k", "v"])
    assert rows(df.orderBy("k", F.col("v").desc())) == [("a", 2), ("a", 1), ("b", 1)]
    assert rows(df.orderBy(["k", "v"], ascending=[False, True])) == [
        ("b", 1),
        ("a", 1),
        ("a", 2),
    ]


def test_limit_offset_tail(spark: SparkSession) -> None:
    df = spark.range(10)
    assert [r.id for r in df.limit(3).collect()] == [0, 1, 2]
    assert [r.id for r in df.offset(7).collect()] == [7, 8, 9]
    assert [r.id for r in df.offset(2).limit(2).collect()] == [2, 3]
    assert df.tail(2) == [Row(id=8), Row(id=9)]
    assert df.limit(0).count() == 0


def test_repeated_with_column_applies_every_step(spark: SparkSession) -> None:
    df = spark.range(3).withColumn("x", F.col("id"))
    for _ in range(5):
        df = df.withColumn("x", F.col("x") + 1)
    assert [r.x for r in df.collect()] == [5, 6, 7]
    nested = "SELECT x + 1 AS x FROM (SELECT x + 1 AS x FROM (SELECT 0 AS x))"
    assert spark.sql(nested).first().x == 2


def test_limit_over_partitions_takes_the_first_rows(spark: SparkSession) -> None:
    # Spark takes a limit's rows from the first partitions, whichever finishes first.
    df = spark.range(0, 1_000_000, 1, 4)
    for _ in range(5):
        assert [r.id for r in df.limit(3).collect()] == [0, 1, 2]
        assert [r.id for r in df.offset(5).limit(3).collect()] == [5, 6, 7]
        assert [r.id for r in df.filter("id % 2 = 1").limit(2).collect()] == [1, 3]


# --- actions ------------------------------------------------------------------------------------


def test_count_first_head_take(people: DataFrame) -> None:
    ordered = people.orderBy("id")
    assert people.count() == 4
    assert ordered.first() == Row(id=1, name="Alice", age=34)
    assert ordered.head() == Row(id=1, name="Alice", age=34)
    assert ordered.head(2) == ordered.take(2)
    assert [r.name for r in ordered.take(2)] == ["Alice", "Bob"]
    assert people.filter("id > 100").first() is None
    assert people.filter("id > 100").head(1) == []


def test_collect_rows_support_names_and_indexes(people: DataFrame) -> None:
    row = people.filter("id = 2").collect()[0]
    assert row.name == "Bob"
    assert row["age"] == 45
    assert row[0] == 2
    assert row.asDict() == {"id": 2, "name": "Bob", "age": 45}


def test_to_pandas(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a", 1.5), (2, None, None)], "x long, y string, z double")
    pdf = df.toPandas()
    assert list(pdf.columns) == ["x", "y", "z"]
    assert str(pdf["x"].dtype) == "int64"
    assert pdf["x"].tolist() == [1, 2]
    assert pdf["y"].tolist() == ["a", None]
    assert pdf["z"].iloc[0] == 1.5
    assert pd.isna(pdf["z"].iloc[1])


def test_to_pandas_of_dates(spark: SparkSession) -> None:
    df = spark.createDataFrame([(datetime.date(2024, 3, 1),)], "d date")
    assert df.toPandas()["d"].tolist() == [datetime.date(2024, 3, 1)]


def test_show_format(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a"), (22, None)], "id int, name string")
    assert show_string(df) == (
        "+---+----+\n| id|name|\n+---+----+\n|  1|   a|\n| 22|NULL|\n+---+----+\n\n"
    )


def test_show_untruncated_left_aligns(spark: SparkSession) -> None:
    df = spark.createDataFrame([("abc", 1), ("d", 10)], ["s", "n"])
    assert show_string(df, truncate=False) == (
        "+---+---+\n|s  |n  |\n+---+---+\n|abc|1  |\n|d  |10 |\n+---+---+\n\n"
    )


# --- set operations -----------------------------------------------------------------------------


@pytest.fixture
def left(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(1, "a"), (2, "b"), (2, "b"), (3, "c")], ["id", "v"])


@pytest.fixture
def right(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(2, "b"), (3, "c"), (4, "d")], ["id", "v"])


def test_union_keeps_duplicates_and_matches_by_position(left: DataFrame, right: DataFrame) -> None:
    assert left.union(right).count() == 7
    assert left.unionAll(right).count() == 7
    swapped = right.select("v", "id")
    assert left.union(swapped).columns == ["id", "v"]


def test_union_by_name(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1, "x")], ["id", "v"])
    b = spark.createDataFrame([("y", 2)], ["v", "id"])
    assert rows(a.unionByName(b)) == [(1, "x"), (2, "y")]


def test_intersect_and_intersect_all(left: DataFrame, right: DataFrame) -> None:
    assert sorted_rows(left.intersect(right)) == [(2, "b"), (3, "c")]
    more = right.union(right.filter("id = 2"))
    assert sorted_rows(left.intersectAll(more)) == [(2, "b"), (2, "b"), (3, "c")]


# --- aliases ------------------------------------------------------------------------------------


# --- missing values -----------------------------------------------------------------------------


@pytest.fixture
def gaps(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, None, 1.0), (2, "b", None), (None, None, None)], "a int, b string, c double"
    )


def test_fillna(gaps: DataFrame) -> None:
    assert rows(gaps.fillna(0)) == [(1, None, 1.0), (2, "b", 0.0), (0, None, 0.0)]
    assert rows(gaps.fillna("z")) == [(1, "z", 1.0), (2, "b", None), (None, "z", None)]
    assert rows(gaps.fillna({"a": -1, "b": "?"})) == [
        (1, "?", 1.0),
        (2, "b", None),
        (-1, "?", None),
    ]
    assert rows(gaps.na.fill(0, subset=["c"])) == [(1, None, 1.0), (2, "b", 0.0), (None, None, 0.0)]


def test_dropna(gaps: DataFrame) -> None:
    assert gaps.dropna().count() == 0
    assert gaps.dropna(how="all").count() == 2
    assert rows(gaps.dropna(subset=["a"]).select("a")) == [(1,), (2,)]
    assert gaps.dropna(thresh=2).count() == 2
    assert gaps.na.drop(subset=["b"]).count() == 1


def test_replace(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1), ("b", 2), ("c", 1)], ["s", "n"])
    assert rows(df.replace("a", "A")) == [("A", 1), ("b", 2), ("c", 1)]
    assert rows(df.replace(1, 10)) == [("a", 10), ("b", 2), ("c", 10)]
    assert rows(df.replace({"b": "B", "c": "C"}, subset=["s"])) == [
        ("a", 1),
        ("B", 2),
        ("C", 1),
    ]


# --- summaries ----------------------------------------------------------------------------------


def test_describe(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "x"), (2, "y"), (3, "z"), (4, None)], "v int, s string")
    out = df.describe("v")
    assert out.columns == ["summary", "v"]
    assert out.dtypes == [("summary", "string"), ("v", "string")]
    assert rows(out) == [
        ("count", "4"),
        ("mean", "2.5"),
        ("stddev", "1.2909944487358056"),
        ("min", "1"),
        ("max", "4"),
    ]
    assert rows(df.describe().select("summary", "s")) == [
        ("count", "3"),
        ("mean", None),
        ("stddev", None),
        ("min", "x"),
        ("max", "z"),
    ]


def test_create_with_struct_type_schema(spark: SparkSession) -> None:
    schema = StructType([StructField("k", StringType(), False), StructField("v", LongType(), True)])
    df = spark.createDataFrame([("a", 1), ("b", None)], schema)
    assert df.schema == schema
    assert rows(df) == [("a", 1), ("b", None)]


def test_union_by_name_allow_missing_columns(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1, "x")], ["id", "v"])
    b = spark.createDataFrame([(2, True)], ["id", "flag"])
    out = a.unionByName(b, allowMissingColumns=True)
    assert out.columns == ["id", "v", "flag"]
    assert rows(out) == [(1, "x", None), (2, None, True)]


def test_subtract_and_except_all(left: DataFrame, right: DataFrame) -> None:
    assert sorted_rows(left.subtract(right)) == [(1, "a")]
    assert sorted_rows(left.exceptAll(right)) == [(1, "a"), (2, "b")]


def test_select_expression_names(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 2)], ["a", "b"])
    out = df.select(F.col("a") + F.col("b"), F.col("a") * 2, -F.col("b"), F.col("a").alias("x"))
    # The client sends unary minus as the function `negative`, so Spark names it that way.
    assert out.columns == ["(a + b)", "(a * 2)", "negative(b)", "x"]
    assert rows(out) == [(3, 2, -2, 1)]


def test_column_names_are_case_insensitive(people: DataFrame) -> None:
    assert rows(people.select("NAME").filter("ID = 2")) == [("Bob",)]


def test_with_columns(people: DataFrame) -> None:
    df = people.withColumns({"one": F.lit(1), "next_id": F.col("id") + 1})
    assert df.columns == ["id", "name", "age", "one", "next_id"]
    assert rows(df.select("one", "next_id").filter("id = 4")) == [(1, 5)]


def test_alias_and_qualified_columns(people: DataFrame) -> None:
    p = people.alias("p")
    assert rows(p.select("p.name").filter(F.col("p.id") == 3)) == [("Cathy",)]
    assert p.select(F.col("p.id")).columns == ["id"]


def test_show_limits_rows_and_truncates(spark: SparkSession) -> None:
    df = spark.createDataFrame([("x" * 25,), ("y",)], ["long_text"])
    assert show_string(df, 1) == (
        "+--------------------+\n"
        "|           long_text|\n"
        "+--------------------+\n"
        "|xxxxxxxxxxxxxxxxx...|\n"
        "+--------------------+\n"
        "only showing top 1 row\n"
    )


def test_col_regex_selects_matching_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1, 2.0)], ["Col1", "Col2", "other"])
    assert df.select(df.colRegex("`col.`")).columns == ["Col1", "Col2"]
    assert df.select(df.colRegex("`(Col1)?+.+`")).columns == ["Col2", "other"]
    assert df.select(df.colRegex("Col2")).columns == ["Col2"]


def test_column_metadata_from_alias_and_with_metadata(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2, "Alice"), (5, "Bob")], ["age", "name"])
    tagged = df.withMetadata("age", {"foo": "bar"})
    assert tagged.schema["age"].metadata == {"foo": "bar"}
    assert tagged.select("age").filter("age > 1").schema["age"].metadata == {"foo": "bar"}
    aliased = df.select(df.age.alias("age3", metadata={"max": 99}))
    assert aliased.schema["age3"].metadata == {"max": 99}
    assert df.schema["age"].metadata == {}


def test_nested_with_field_and_drop_fields(spark: SparkSession) -> None:
    df = spark.createDataFrame([Row(a=Row(b=1, c=2, e=Row(f=4, g=5, h=6)))])
    dropped = df.withColumn("a", F.col("a").dropFields("e.g", "e.h"))
    assert dropped.first().a == Row(b=1, c=2, e=Row(f=4))
    added = df.withColumn("a", F.col("a").withField("e.z", F.lit(9)))
    assert added.first().a.e == Row(f=4, g=5, h=6, z=9)
    read_back = df.withColumn("a", df["a"].withField("d", F.lit(4))).select("a.d")
    assert [r.d for r in read_back.collect()] == [4]


def test_decimal_literals_keep_their_scale(spark: SparkSession) -> None:
    from decimal import Decimal

    frame = spark.range(1).select(
        F.lit(Decimal("0.2")).alias("a"),
        F.lit(Decimal("100.00")).alias("b"),
        (F.lit(Decimal("7.0")) * 2).alias("c"),
    )
    assert frame.schema["a"].dataType.simpleString() == "decimal(10,1)"
    assert frame.schema["b"].dataType.simpleString() == "decimal(10,2)"
    assert frame.first() == (Decimal("0.2"), Decimal("100.00"), Decimal("14.0"))
