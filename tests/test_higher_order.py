"""Higher-order functions: lambdas over arrays and maps, with Spark's null handling."""

from __future__ import annotations

import pytest
from helpers import rows
from pyspark.errors import AnalysisException, SparkRuntimeException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


@pytest.fixture
def arrays(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, [1, 2, 3], [10, 20]), (2, [], [5]), (3, None, [1]), (4, [4, None], None)],
        "id int, xs array<int>, ys array<int>",
    )


def test_transform_with_and_without_index(arrays: DataFrame) -> None:
    out = arrays.orderBy("id").select(
        F.transform("xs", lambda x: x * 2).alias("doubled"),
        F.transform("xs", lambda x, i: x + i).alias("plus_index"),
    )
    assert rows(out) == [
        ([2, 4, 6], [1, 3, 5]),
        ([], []),
        (None, None),
        ([8, None], [4, None]),
    ]


def test_transform_lambda_sees_outer_columns_and_nested_functions(arrays: DataFrame) -> None:
    out = arrays.orderBy("id").select(
        F.transform(
            "xs", lambda x: F.concat(F.lit("v"), x.cast("string"), F.col("id").cast("string"))
        )
    )
    assert rows(out)[0] == (["v11", "v21", "v31"],)


def test_filter_with_index_treats_null_as_false(arrays: DataFrame) -> None:
    out = arrays.orderBy("id").select(
        F.filter("xs", lambda x: x > 1).alias("big"),
        F.filter("xs", lambda x, i: i == 0).alias("first"),
    )
    assert rows(out) == [([2, 3], [1]), ([], []), (None, None), ([4], [4])]


def test_exists_and_forall_three_valued(spark: SparkSession) -> None:
    df = spark.createDataFrame([([1, 2],), ([1, None],), ([],)], "xs array<int>")
    out = df.select(
        F.exists("xs", lambda x: x > 1).alias("e"), F.forall("xs", lambda x: x > 0).alias("f")
    )
    assert rows(out) == [(True, True), (None, None), (False, True)]


def test_zip_with_pads_the_shorter_array_with_nulls(arrays: DataFrame) -> None:
    out = arrays.orderBy("id").select(
        F.zip_with("xs", "ys", lambda x, y: F.coalesce(x, F.lit(0)) + F.coalesce(y, F.lit(0)))
    )
    assert rows(out) == [([11, 22, 3],), ([5],), (None,), (None,)]


def test_aggregate_with_and_without_finish(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, [20.0, 4.0, 2.0, 6.0, 10.0]), (2, []), (3, None)], "id int, values array<double>"
    )
    total = F.aggregate("values", F.lit(0.0), lambda acc, x: acc + x)
    mean = F.aggregate(
        "values",
        F.struct(F.lit(0).alias("count"), F.lit(0.0).alias("sum")),
        lambda acc, x: F.struct((acc["count"] + 1).alias("count"), (acc["sum"] + x).alias("sum")),
        lambda acc: acc["sum"] / acc["count"],
    )
    out = df.where("id != 2").orderBy("id").select(total.alias("total"), mean.alias("mean"))
    assert rows(out) == [(42.0, 8.4), (None, None)]
    assert rows(df.where("id = 2").select(total)) == [(0.0,)]
    assert rows(df.orderBy("id").select(F.reduce("values", F.lit(0.0), lambda a, x: a + x)))[0] == (
        42.0,
    )


def test_aggregate_requires_the_merge_type_of_the_start_value(spark: SparkSession) -> None:
    df = spark.createDataFrame([([1, 2],)], "xs array<bigint>")
    with pytest.raises(AnalysisException) as info:
        df.select(F.aggregate("xs", F.lit(0), lambda acc, x: acc + x)).collect()
    assert "DATATYPE_MISMATCH" in str(info.value)


def test_map_filter_and_transforms(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, {"foo": 42.0, "bar": 1.0, "baz": 32.0})], "id int, data map<string, double>"
    )
    kept = df.select(F.map_filter("data", lambda _, v: v > 30.0).alias("m")).first()
    assert kept is not None and kept["m"] == {"foo": 42.0, "baz": 32.0}
    keys = df.select(F.transform_keys("data", lambda k, _: F.upper(k)).alias("m")).first()
    assert keys is not None and keys["m"] == {"FOO": 42.0, "BAR": 1.0, "BAZ": 32.0}
    values = df.select(F.transform_values("data", lambda k, v: v + F.length(k)).alias("m")).first()
    assert values is not None and values["m"] == {"foo": 45.0, "bar": 4.0, "baz": 35.0}


def test_transform_keys_rejects_duplicate_keys(spark: SparkSession) -> None:
    df = spark.createDataFrame([({"a": 1, "b": 2},)], "m map<string, int>")
    with pytest.raises(SparkRuntimeException) as info:
        df.select(F.transform_keys("m", lambda k, v: F.lit("same"))).collect()
    assert "DUPLICATED_MAP_KEY" in str(info.value)


def test_map_zip_with_unions_keys_first_map_first(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, {"IT": 24.0, "SALES": 12.00}, {"IT": 2.0, "SALES": 1.4, "HR": 3.0})],
        "id int, base map<string, double>, ratio map<string, double>",
    )
    out = df.select(
        F.map_zip_with(
            "base", "ratio", lambda k, v1, v2: F.round(F.coalesce(v1, F.lit(0.0)) * v2, 2)
        ).alias("m")
    )
    first = out.first()
    assert first is not None
    assert list(first["m"].items()) == [("IT", 48.0), ("SALES", 16.8), ("HR", 0.0)]


def test_array_sort_with_a_comparator_keeps_ties_in_order(spark: SparkSession) -> None:
    df = spark.createDataFrame([(["foo", "foobar", None, "bar"],), (["foo"],), ([],)], ["data"])
    by_length_desc = F.array_sort(
        "data",
        lambda x, y: F.when(x.isNull() | y.isNull(), F.lit(0)).otherwise(F.length(y) - F.length(x)),
    )
    assert rows(df.select(by_length_desc.alias("r"))) == [
        (["foobar", "foo", None, "bar"],),
        (["foo"],),
        ([],),
    ]
    plain = spark.createDataFrame([([3, None, 1],)], ["xs"]).select(F.array_sort("xs"))
    assert rows(plain) == [([1, 3, None],)]


def test_higher_order_functions_from_sql(spark: SparkSession) -> None:
    out = spark.sql(
        "SELECT transform(array(1, 2), x -> x + 1) AS t, "
        "aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10) AS a, "
        "zip_with(array(1, 2), array(3, 4), (x, y) -> x * y) AS z"
    )
    assert rows(out) == [([2, 3], 60, [3, 8])]
