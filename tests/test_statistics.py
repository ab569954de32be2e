"""df.stat, set operations on multisets, and saveAsTable, through the official client.

Expected values follow Apache Spark 4.1.1's documented examples."""

from __future__ import annotations

from helpers import rows
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf
from pyspark.storagelevel import StorageLevel


def test_cov_and_corr(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 12), (10, 1), (19, 8)], ["c1", "c2"])
    assert df.cov("c1", "c2") == -18.0
    assert abs(df.corr("c1", "c2") - (-0.3592106040535498)) < 1e-12


def test_crosstab_counts_pairs_and_fills_zero(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 11), (1, 11), (3, 10), (4, 8), (4, 8)], ["c1", "c2"])
    table = df.crosstab("c1", "c2").sort("c1_c2")
    assert table.columns == ["c1_c2", "10", "11", "8"]
    assert rows(table) == [("1", 0, 2, 0), ("3", 1, 0, 0), ("4", 0, 0, 2)]


def test_approx_quantile_is_exact_on_small_data(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (None,), (3,), (4,), (None,)], ["values"])
    assert df.approxQuantile("values", [0.0, 0.5, 1.0], 0.05) == [1.0, 3.0, 4.0]
    two = spark.createDataFrame([(1, 10), (2, 20), (3, 30), (4, 40), (5, 50)], ["a", "b"])
    assert two.approxQuantile(["a", "b"], [0.0, 0.5, 1.0], 0.05) == [
        [1.0, 3.0, 5.0],
        [10.0, 30.0, 50.0],
    ]


def test_freq_items(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 11), (1, 11), (3, 10), (4, 8), (4, 8)], ["c1", "c2"])
    items = df.freqItems(["c1", "c2"])
    sorted_items = items.select([sf.sort_array(c).alias(c) for c in items.columns])
    assert rows(sorted_items) == [([1, 3, 4], [8, 10, 11])]


def test_except_all_and_intersect_all_keep_duplicates(spark: SparkSession) -> None:
    df1 = spark.createDataFrame(
        [("a", 1), ("a", 1), ("a", 1), ("a", 2), ("b", 3), ("c", 4)], ["C1", "C2"]
    )
    df2 = spark.createDataFrame([("a", 1), ("b", 3)], ["C1", "C2"])
    assert sorted(rows(df1.exceptAll(df2))) == [("a", 1), ("a", 1), ("a", 2), ("c", 4)]
    assert sorted(rows(df1.intersectAll(df2))) == [("a", 1), ("b", 3)]


def test_union_returns_left_rows_first(spark: SparkSession) -> None:
    df1 = spark.createDataFrame([(1, "A"), (2, "B")], ["id", "value"])
    df2 = spark.createDataFrame([(3, "C"), (4, "D")], ["id", "value"])
    assert rows(df1.union(df2)) == [(1, "A"), (2, "B"), (3, "C"), (4, "D")]


def test_unpivot(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 11, 1.1), (2, 12, 1.2)], ["id", "int", "double"])
    result = df.unpivot("id", ["int", "double"], "var", "val").sort("id", sf.desc("var"))
    assert result.columns == ["id", "var", "val"]
    assert rows(result) == [
        (1, "int", 11.0),
        (1, "double", 1.1),
        (2, "int", 12.0),
        (2, "double", 1.2),
    ]


def test_unpivot_keeps_each_rows_values_together(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 11, 1.1), (2, 12, 1.2)], ["id", "int", "double"])
    assert rows(df.unpivot("id", ["int", "double"], "var", "val")) == [
        (1, "int", 11.0),
        (1, "double", 1.1),
        (2, "int", 12.0),
        (2, "double", 1.2),
    ]


def test_storage_level_follows_persist(spark: SparkSession) -> None:
    df = spark.range(3)
    assert df.storageLevel == StorageLevel(False, False, False, False, 1)
    df.persist(StorageLevel.DISK_ONLY)
    assert df.storageLevel == StorageLevel.DISK_ONLY
    df.unpersist()
    assert df.storageLevel == StorageLevel(False, False, False, False, 1)


def test_save_as_table_then_read_and_drop(spark: SparkSession) -> None:
    spark.sql("DROP TABLE IF EXISTS ember_saved_table")
    spark.createDataFrame([(1, "a"), (2, "b")], ["id", "v"]).write.saveAsTable("ember_saved_table")
    assert sorted(rows(spark.table("ember_saved_table"))) == [(1, "a"), (2, "b")]
    spark.createDataFrame([(3, "c")], ["id", "v"]).write.mode("append").saveAsTable(
        "ember_saved_table"
    )
    assert spark.table("ember_saved_table").count() == 3
    spark.sql("DROP TABLE ember_saved_table")
    assert not spark.catalog.tableExists("ember_saved_table")


def test_declared_not_null_column_stays_not_null(spark: SparkSession) -> None:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField("value", StringType(), False)])
    df = spark.createDataFrame([("a",), ("b",)], schema)
    assert df.schema == schema


def test_random_split_pieces_partition_the_rows(spark: SparkSession) -> None:
    df = spark.range(200)
    first, second = df.randomSplit([0.25, 0.75], seed=7)
    ids_first = {r.id for r in first.collect()}
    ids_second = {r.id for r in second.collect()}
    assert ids_first.isdisjoint(ids_second)
    assert ids_first | ids_second == set(range(200))
    assert 20 < len(ids_first) < 80


def test_sample_repeats_for_a_seed(spark: SparkSession) -> None:
    df = spark.range(500)
    once = [r.id for r in df.sample(fraction=0.3, seed=11).collect()]
    again = [r.id for r in df.sample(fraction=0.3, seed=11).collect()]
    assert once == again
    assert 100 < len(once) < 200


def test_sample_by_keeps_only_listed_strata(spark: SparkSession) -> None:
    df = spark.range(0, 300).select((sf.col("id") % 3).alias("key"))
    sampled = df.sampleBy("key", fractions={0: 0.5, 1: 0.0}, seed=3)
    counts = {r.key: r["count"] for r in sampled.groupBy("key").count().collect()}
    assert set(counts) == {0}
    assert 25 < counts[0] < 75
