"""DataSketches functions: HLL and Theta distinct counts with their set operations, and KLL
quantile sketches, built by aggregates and read by scalar functions."""

from __future__ import annotations

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf


def test_distinct_count_sketches(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a"), (2, "b"), (2, "b"), (3, None)], "n INT, s STRING")
    row = df.agg(
        sf.hll_sketch_estimate(sf.hll_sketch_agg("n")).alias("hll_n"),
        sf.hll_sketch_estimate(sf.hll_sketch_agg("s", 10)).alias("hll_s"),
        sf.theta_sketch_estimate(sf.theta_sketch_agg("n")).alias("theta_n"),
        sf.theta_sketch_estimate(sf.theta_sketch_agg("s")).alias("theta_s"),
    ).first()
    assert tuple(row) == (3, 2, 3, 2)


def test_set_operations_of_sketches(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 2), (2, 3), (3, 4)], "a INT, b INT").agg(
        sf.theta_sketch_agg("a").alias("ta"),
        sf.theta_sketch_agg("b").alias("tb"),
        sf.hll_sketch_agg("a").alias("ha"),
        sf.hll_sketch_agg("b").alias("hb"),
    )
    row = df.select(
        sf.theta_sketch_estimate(sf.theta_union("ta", "tb")),
        sf.theta_sketch_estimate(sf.theta_intersection("ta", "tb")),
        sf.theta_sketch_estimate(sf.theta_difference("ta", "tb")),
        sf.hll_sketch_estimate(sf.hll_union("ha", "hb")),
    ).first()
    assert tuple(row) == (4, 2, 1, 4)


def test_sketch_aggregates_over_sketches(spark: SparkSession) -> None:
    first = spark.createDataFrame([1, 2, 2, 3], "INT").agg(
        sf.theta_sketch_agg("value").alias("t"), sf.hll_sketch_agg("value").alias("h")
    )
    second = spark.createDataFrame([2, 3, 3, 4], "INT").agg(
        sf.theta_sketch_agg("value").alias("t"), sf.hll_sketch_agg("value").alias("h")
    )
    both = first.union(second)
    row = both.agg(
        sf.theta_sketch_estimate(sf.theta_union_agg("t")),
        sf.theta_sketch_estimate(sf.theta_intersection_agg("t")),
        sf.hll_sketch_estimate(sf.hll_union_agg("h")),
    ).first()
    assert tuple(row) == (4, 2, 4)
    assert both.columns == ["t", "h"]
    names = both.agg(sf.hll_sketch_estimate(sf.hll_union_agg("h"))).columns
    assert names == ["hll_sketch_estimate(hll_union_agg(h, false))"]


def test_quantile_sketches(spark: SparkSession) -> None:
    longs = spark.createDataFrame([1, 2, 3, 4, 5], "INT").agg(
        sf.kll_sketch_agg_bigint("value").alias("k")
    )
    row = longs.select(
        sf.kll_sketch_get_n_bigint("k"),
        sf.kll_sketch_get_quantile_bigint("k", sf.lit(0.5)),
        sf.kll_sketch_get_rank_bigint("k", sf.lit(3)),
        sf.kll_sketch_get_n_bigint(sf.kll_sketch_merge_bigint("k", "k")),
    ).first()
    assert tuple(row) == (5, 3, 0.6, 10)
    summary = longs.select(sf.kll_sketch_to_string_bigint("k")).first()[0]
    assert "KllLongsSketch" in summary and "N" in summary
    doubles = spark.createDataFrame([1.5, 2.5, 3.5, None], "DOUBLE").agg(
        sf.kll_sketch_agg_double("value").alias("k")
    )
    row = doubles.select(
        sf.kll_sketch_get_n_double("k"),
        sf.kll_sketch_get_quantile_double("k", sf.lit(1.0)),
        sf.kll_sketch_get_rank_double("k", sf.lit(2.5)),
    ).first()
    assert row[0] == 2 + 1 and row[1] == 3.5 and row[2] == pytest.approx(2 / 3)


def test_bad_sketch_input_is_an_error(spark: SparkSession) -> None:
    with pytest.raises(PySparkException, match="INVALID_INPUT_SKETCH_BUFFER"):
        spark.sql("SELECT hll_sketch_estimate(X'0102')").collect()
    with pytest.raises(PySparkException, match="KLL_SKETCH_INVALID_QUANTILE_RANGE"):
        spark.createDataFrame([1], "INT").agg(sf.kll_sketch_agg_bigint("value").alias("k")).select(
            sf.kll_sketch_get_quantile_bigint("k", sf.lit(1.5))
        ).collect()


def test_bitmap_aggregates(spark: SparkSession) -> None:
    positions = spark.createDataFrame([(1,), (2,), (3,), (9,)], ["a"])
    bitmap = positions.select(sf.bitmap_construct_agg(sf.bitmap_bit_position("a"))).first()[0]
    assert len(bitmap) == 4096 and bitmap[:2] == bytes([0x07, 0x01])
    hexes = spark.createDataFrame([("F0",), ("70",), ("30",)], ["a"])
    row = hexes.select(
        sf.bitmap_or_agg(sf.to_binary("a", sf.lit("hex"))),
        sf.bitmap_and_agg(sf.to_binary("a", sf.lit("hex"))),
    ).first()
    assert row[0][:2] == bytes([0xF0, 0]) and row[1][:2] == bytes([0x30, 0])


def test_histogram_numeric_matches_spark_bins(spark: SparkSession) -> None:
    df = spark.range(100, numPartitions=1).select(sf.histogram_numeric("id", sf.lit(5)))
    bins = [(b.x, b.y) for b in df.first()[0]]
    assert bins == [(11, 25.0), (36, 24.0), (59, 23.0), (84, 25.0), (98, 3.0)]
    # Equal values in different partitions stay separate bins, so the values are distinct.
    few = spark.createDataFrame([(1.5,), (2.5,), (4.0,), (None,)], "v DOUBLE")
    bins = few.select(sf.histogram_numeric("v", sf.lit(3))).first()[0]
    assert [(b.x, b.y) for b in bins] == [(1.5, 1.0), (2.5, 1.0), (4.0, 1.0)]


def test_count_min_sketch_bytes_match_sparks(spark: SparkSession) -> None:
    def sketch_hex(*args: object) -> str:
        row = spark.range(100).select(sf.hex(sf.count_min_sketch("id", *args)).alias("h")).first()
        assert row is not None
        return str(row.h)

    assert sketch_hex(sf.lit(3.0), sf.lit(0.1), sf.lit(1)) == (
        "0000000100000000000000640000000100000001000000005D8D6AB90000000000000064"
    )
    assert sketch_hex(sf.lit(1.5), 0.2, 1111111111111111111) == (
        "00000001000000000000006400000001000000020000000044078BA100000000000000320000000000000032"
    )
    strings = spark.sql(
        "SELECT hex(count_min_sketch(s, 0.5d, 0.9d, 3)) AS h FROM VALUES ('a'), ('b'), ('a'), "
        "(NULL) AS t(s)"
    ).first()
    assert strings is not None
    assert strings.h.startswith("0000000100000000000000030000000400000004000000005D9349A6")
    merged = (
        spark.range(1000)
        .repartition(3)
        .select(sf.hex(sf.count_min_sketch("id", sf.lit(0.5), sf.lit(0.5), sf.lit(42))).alias("h"))
        .first()
    )
    assert merged is not None
    assert merged.h == (
        "0000000100000000000003E80000000100000004000000005D20CE9A"
        "000000000000010000000000000000F4000000000000010000000000000000F4"
    )
