"""The server's memory limit: sorts spill to the spill directory instead of failing, an operator
that cannot spill fails with Spark's out-of-memory error class, and the server stays up.

These start servers of their own with a small limit (`ember.start_server(memory=...)`), so they
run only against Ember's embedded server, not another Spark Connect server."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REMOTE_ENV
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf
from pyspark.storagelevel import StorageLevel

pytestmark = pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)), reason="starts Ember servers of its own"
)

LIMIT = "128m"


@pytest.fixture(scope="module")
def spill_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spill")


@pytest.fixture(scope="module")
def small(spill_dir: Path) -> Iterator[SparkSession]:
    from ember import server

    port = server.start_server(memory=LIMIT, local_dir=str(spill_dir))
    session = SparkSession.builder.remote(server.remote_url(port)).create()
    yield session
    session.stop()
    server.stop_server(port)


def test_a_sort_larger_than_the_limit_spills_and_cleans_up(
    small: SparkSession, spill_dir: Path, tmp_path: Path
) -> None:
    # About 200 MB of rows to sort under a 128 MB limit.
    rows = small.range(3_000_000).select(
        "id",
        (sf.hash("id") % 1_000_003).alias("k"),
        sf.repeat(sf.lit("x"), 48).alias("pad"),
    )
    out = str(tmp_path / "sorted")
    rows.orderBy("k", "id").write.parquet(out)
    back = small.read.parquet(out)
    assert back.count() == 3_000_000
    # The files read back in order hold the rows in order.
    keys = [r.k for r in back.select("k").collect()]
    assert keys == sorted(keys)
    # Spill files are gone once the query is done.
    assert [p for p in spill_dir.rglob("*") if p.is_file()] == []


def test_what_cannot_spill_fails_with_sparks_error_and_the_server_stays_up(
    small: SparkSession,
) -> None:
    # A hash join's build side is held whole: 4 M rows of 64-character text do not fit.
    wide = small.range(4_000_000).select("id", sf.sha2(sf.col("id").cast("string"), 256).alias("h"))
    joined = small.range(10).join(wide, "id").agg(sf.max("h"))
    with pytest.raises(PySparkException, match="UNABLE_TO_ACQUIRE_MEMORY") as refused:
        joined.collect()
    assert "memory limit is 128.0 MiB" in str(refused.value)
    assert small.range(5).count() == 5


def test_a_bad_size_is_refused() -> None:
    from ember import server

    with pytest.raises(ValueError, match="Invalid suffix"):
        server.start_server(memory="2x")


def spill_files(spill_dir: Path) -> list[Path]:
    return [p for p in spill_dir.rglob("*") if p.is_file()]


def test_a_cache_larger_than_the_limit_keeps_the_rest_on_disk(
    small: SparkSession, spill_dir: Path
) -> None:
    rows = small.range(0, 3_000_000, 1, 4).select("id", sf.repeat(sf.lit("y"), 40).alias("pad"))
    cached = rows.cache()  # MEMORY_AND_DISK
    assert cached.count() == 3_000_000
    assert spill_files(spill_dir) != []
    assert [r.id for r in cached.limit(3).collect()] == [0, 1, 2]
    assert cached.agg(sf.sum("id")).first()[0] == 3_000_000 * 2_999_999 // 2
    cached.unpersist()
    assert spill_files(spill_dir) == []


def test_disk_only_rows_are_kept_in_the_spill_directory(
    small: SparkSession, spill_dir: Path
) -> None:
    noise = sf.udf(lambda _: random.random(), "double").asNondeterministic()
    frame = small.range(0, 1000, 1, 2).withColumn("x", noise(sf.col("id")))
    kept = frame.persist(StorageLevel.DISK_ONLY)
    first = kept.collect()
    assert [r.id for r in first] == list(range(1000))
    assert kept.collect() == first
    assert len(spill_files(spill_dir)) == 2  # one file per partition
    kept.unpersist()
    assert spill_files(spill_dir) == []
