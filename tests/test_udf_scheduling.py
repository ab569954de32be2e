"""Slow Python UDFs share the server: other sessions keep answering while they run, and an
interrupted query stops calling its UDF."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def _slow_counting_udf(log: Path, seconds: float):  # type: ignore[no-untyped-def]
    path = str(log)

    @F.udf("long", useArrow=False)
    def slow(x: int) -> int:
        import time as sleeper

        with open(path, "a") as calls:
            calls.write("call\n")
        sleeper.sleep(seconds)
        return x

    return slow


def _calls(log: Path) -> int:
    return len(log.read_text().split()) if log.exists() else 0


def test_other_sessions_answer_while_a_slow_udf_runs(
    spark: SparkSession, remote_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "calls"
    slow = _slow_counting_udf(log, 0.5)
    frame = spark.range(0, 16, 1, 16).select(slow("id").alias("v"))
    result: list[object] = []
    runner = threading.Thread(target=lambda: result.append(frame.agg(F.sum("v")).collect()))
    runner.start()
    while _calls(log) == 0:
        time.sleep(0.05)
    other = SparkSession.builder.remote(remote_url).create()
    try:
        assert other.range(10).filter("id % 2 = 0").count() == 5
        assert other.sql("SELECT 1 + 1 AS two").first()["two"] == 2
        # The UDF query (16 calls of half a second) has not finished meanwhile.
        assert runner.is_alive()
    finally:
        runner.join()
        other.stop()
    assert result[0] == [(120,)]


def test_interrupted_query_stops_calling_its_udf(spark: SparkSession, tmp_path: Path) -> None:
    log = tmp_path / "calls"
    slow = _slow_counting_udf(log, 0.2)
    frame = spark.range(0, 200, 1, 100).select(slow("id").alias("v"))
    errors: list[Exception] = []

    def run() -> None:
        try:
            frame.agg(F.sum("v")).collect()
        except Exception as error:  # the interrupt surfaces as the client's error
            errors.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    while _calls(log) < 2:
        time.sleep(0.05)
    spark.interruptAll()
    runner.join()
    assert errors and "CANCEL" in str(errors[0]).upper()
    # Calls already running may finish; after that no new call starts.
    time.sleep(1.0)
    settled = _calls(log)
    time.sleep(1.5)
    assert _calls(log) == settled
    assert settled < 200
    # The session and its UDFs still work.
    assert spark.range(3).select(slow("id").alias("v")).count() == 3
