"""`cache()` / `persist()` keep a DataFrame's rows: later queries read them instead of running
the plan again, as in Apache Spark."""

from __future__ import annotations

import random

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.storagelevel import StorageLevel


def noisy_frame(spark: SparkSession):  # type: ignore[no-untyped-def]
    # A nondeterministic Python UDF gives new values each time its plan runs.
    noise = F.udf(lambda _: random.random(), "double").asNondeterministic()
    return spark.range(0, 50, 1, 2).withColumn("x", noise(F.col("id")))


def test_cached_rows_are_computed_once(spark: SparkSession) -> None:
    df = noisy_frame(spark)
    assert df.collect() != df.collect()  # without a cache every run draws anew

    cached = noisy_frame(spark).cache()
    assert cached.count() == 50
    first = cached.collect()
    assert cached.collect() == first
    # Queries built on the cached DataFrame read the same kept rows.
    total = cached.agg(F.sum("x")).first()[0]
    assert abs(total - sum(r.x for r in first)) < 1e-9
    filtered = cached.filter("id < 5").orderBy("id").collect()
    assert filtered == sorted([r for r in first if r.id < 5], key=lambda r: r.id)

    cached.unpersist()
    assert cached.storageLevel == StorageLevel.NONE
    assert cached.collect() != first


def test_cache_shows_in_the_plan(spark: SparkSession) -> None:
    df = spark.range(10).withColumn("y", F.col("id") * 2)
    assert "InMemoryRelation" not in df._explain_string(extended=True)
    df.cache()
    assert "InMemoryRelation" in df.filter("y > 4")._explain_string(extended=True)
    df.unpersist()


def test_cached_frame_joins_itself_and_keeps_column_references(spark: SparkSession) -> None:
    left = spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], "k int, v string").cache()
    right = spark.createDataFrame([(1, 10), (3, 30)], "k int, w int")
    joined = left.join(right, left["k"] == right["k"]).select(left["k"], "v", "w")
    assert sorted(joined.collect()) == [(1, "a", 10), (3, "c", 30)]
    pairs = left.alias("l").join(left.alias("r"), F.col("l.k") < F.col("r.k"))
    assert pairs.count() == 3
    assert left.columns == ["k", "v"]
    assert left.dtypes == [("k", "int"), ("v", "string")]
    left.unpersist()


def test_iterative_job_over_its_own_cached_result(spark: SparkSession) -> None:
    df = spark.range(100).withColumn("v", F.lit(0))
    previous = None
    for _ in range(20):
        step = spark.range(100).withColumn("d", F.lit(1))
        df = df.join(step, "id").select("id", (F.col("v") + F.col("d")).alias("v")).cache()
        df.count()
        if previous is not None:
            previous.unpersist()
        previous = df
    assert df.agg(F.sum("v"), F.count("*")).first() == (2000, 100)


def test_persist_levels_and_clear_cache(spark: SparkSession) -> None:
    df = spark.range(5).persist(StorageLevel.MEMORY_ONLY)
    assert df.storageLevel == StorageLevel.MEMORY_ONLY
    assert df.is_cached
    df.persist(StorageLevel.DISK_ONLY)  # a second persist keeps the first level, as Spark does
    assert df.storageLevel == StorageLevel.MEMORY_ONLY
    assert [r.id for r in df.collect()] == [0, 1, 2, 3, 4]
    spark.catalog.clearCache()
    assert df.storageLevel == StorageLevel.NONE
    assert [r.id for r in df.collect()] == [0, 1, 2, 3, 4]


def test_local_checkpoint_cuts_the_lineage(spark: SparkSession) -> None:
    checkpointed = noisy_frame(spark).localCheckpoint()
    first = checkpointed.collect()
    assert checkpointed.collect() == first
    assert checkpointed.filter("id < 3").count() == 3
    doubled = checkpointed.select((F.col("x") * 2).alias("x2")).collect()
    assert [r.x2 for r in doubled] == [r.x * 2 for r in first]


def test_deep_plans_run_and_too_deep_ones_fail_clearly(spark: SparkSession) -> None:
    df = spark.range(3).withColumn("x", F.lit(0))
    for _ in range(150):  # 300 levels of nesting: past protobuf's usual limit of 100
        df = df.withColumn("x", F.col("x") + 1)
    assert [r.x for r in df.collect()] == [150, 150, 150]
    for _ in range(500):
        df = df.withColumn("x", F.col("x") + 1)
    with pytest.raises(Exception, match="levels deep"):
        df.collect()
    assert spark.range(2).count() == 2  # the session goes on
