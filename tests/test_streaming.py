"""Structured streaming in micro-batches: rate and file sources; memory, file and console
sinks; append and complete output modes; query controls and ``spark.streams``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Polls until ``condition`` holds or ``seconds`` pass; the caller asserts after."""
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.2)


def test_rate_source_into_memory_sink(spark: SparkSession) -> None:
    df = spark.readStream.format("rate").option("rowsPerSecond", 20).load()
    assert df.isStreaming
    assert [f.name for f in df.schema.fields] == ["timestamp", "value"]
    query = df.selectExpr("value % 3 AS v").writeStream.format("memory").queryName("rates").start()
    try:
        assert query.name == "rates"
        assert "rates" in [q.name for q in spark.streams.active]
        assert spark.streams.get(query.id).isActive
        wait_until(lambda: spark.table("rates").count() >= 10)
        rows = spark.table("rates").collect()
        assert len(rows) >= 10
        assert {r.v for r in rows} == {0, 1, 2}
        assert query.lastProgress is not None
        assert sum(p.numInputRows for p in query.recentProgress) >= 10
    finally:
        query.stop()
    assert not query.isActive
    assert query.exception() is None
    assert "rates" not in [q.name for q in spark.streams.active]


def test_streaming_dataframe_cannot_be_collected(spark: SparkSession) -> None:
    df = spark.readStream.format("rate").load()
    with pytest.raises(AnalysisException, match="writeStream"):
        df.collect()
    assert not spark.range(1).isStreaming


def test_file_source_picks_up_new_files(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.json").write_text('{"k": "x", "n": 1}\n{"k": "y", "n": 2}\n')
    stream = spark.readStream.schema("k STRING, n LONG").json(str(source))
    query = stream.where("n > 1").writeStream.format("memory").queryName("files_in").start()
    try:
        query.processAllAvailable()
        assert [tuple(r) for r in spark.table("files_in").collect()] == [("y", 2)]
        (source / "b.json").write_text('{"k": "z", "n": 5}\n')
        wait_until(lambda: spark.table("files_in").count() >= 2)
        assert sorted(tuple(r) for r in spark.table("files_in").collect()) == [
            ("y", 2),
            ("z", 5),
        ]
    finally:
        query.stop()


def test_complete_mode_aggregates_everything_seen(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.json").write_text('{"k": "x"}\n{"k": "y"}\n')
    counts = spark.readStream.schema("k STRING").json(str(source)).groupBy("k").count()
    query = counts.writeStream.outputMode("complete").format("memory").queryName("counts").start()
    try:
        query.processAllAvailable()
        (source / "b.json").write_text('{"k": "x"}\n')
        expected = [("x", 2), ("y", 1)]
        wait_until(lambda: sorted(tuple(r) for r in spark.table("counts").collect()) == expected)
        assert sorted(tuple(r) for r in spark.table("counts").collect()) == expected
    finally:
        query.stop()


def test_available_now_writes_files_and_stops(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.csv").write_text("1,a\n2,b\n")
    out = tmp_path / "out"
    query = (
        spark.readStream.schema("id INT, s STRING")
        .csv(str(source))
        .writeStream.trigger(availableNow=True)
        .format("parquet")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start(str(out))
    )
    assert query.awaitTermination(20)
    assert not query.isActive
    assert sorted(tuple(r) for r in spark.read.parquet(str(out)).collect()) == [(1, "a"), (2, "b")]


def test_memory_sink_needs_a_query_name(spark: SparkSession) -> None:
    df = spark.readStream.format("rate").load()
    with pytest.raises(Exception, match="queryName"):
        df.writeStream.format("memory").start()


def test_file_source_needs_a_schema(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="[Ss]chema must be specified"):
        spark.readStream.json(str(tmp_path)).writeStream.format("noop").start()


def test_text_source_needs_no_schema(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\nthis\n")
    stream = spark.readStream.text(str(tmp_path))
    assert stream.columns == ["value"]
    query = stream.writeStream.format("memory").queryName("lines").start()
    try:
        query.processAllAvailable()
        assert sorted(r.value for r in spark.table("lines").collect()) == ["hello", "this"]
    finally:
        query.stop()
