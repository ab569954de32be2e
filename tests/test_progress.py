"""Progress of running queries, reported as Spark's server reports it: stages of tasks every
`spark.connect.progress.reportInterval`, to the client's progress bar and handlers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.connect.shell.progress import ProgressHandler, StageInfo


class Recorder(ProgressHandler):
    def __init__(self) -> None:
        self.reports: list[tuple[list[StageInfo], bool]] = []

    def __call__(
        self,
        stages: Iterable[StageInfo] | None,
        inflight_tasks: int,
        operation_id: str | None,
        done: bool,
    ) -> None:
        self.reports.append((list(stages or []), done))


@pytest.fixture()
def recorder(spark: SparkSession) -> Iterator[Recorder]:
    handler = Recorder()
    spark.registerProgressHandler(handler)
    try:
        yield handler
    finally:
        spark.removeProgressHandler(handler)
        spark.conf.unset("spark.connect.progress.reportInterval")


def slow_rows(spark: SparkSession) -> Any:
    @F.udf("long")
    def slow(x: int) -> int:
        time.sleep(0.1)
        return x

    return spark.range(0, 24, 1, 4).select(slow("id").alias("x"))


def test_running_query_reports_rising_progress(spark: SparkSession, recorder: Recorder) -> None:
    spark.conf.set("spark.connect.progress.reportInterval", "200ms")
    assert sorted(r.x for r in slow_rows(spark).collect()) == list(range(24))
    staged = [stages for stages, _ in recorder.reports if stages]
    assert staged, "no progress was reported while the query ran"
    assert all(sum(s.num_tasks for s in stages) > 0 for stages in staged)
    completed = [sum(s.num_completed_tasks for s in stages) for stages in staged]
    assert completed == sorted(completed)
    # The client's own last call says the operation is done.
    assert recorder.reports[-1][1] is True


def test_negative_interval_turns_reports_off(spark: SparkSession, recorder: Recorder) -> None:
    spark.conf.set("spark.connect.progress.reportInterval", "-1")
    assert len(slow_rows(spark).collect()) == 24
    assert all(not stages for stages, _ in recorder.reports)
