"""Sessions end: released by the client or idle past the server's session timeout, after which
their id is refused with Spark's `INVALID_HANDLE.SESSION_CLOSED` and their state is gone; a
session running a query is not idle.

These start a server of their own with short timeouts (`ember.start_server(session_timeout=...)`),
so they run only against Ember's embedded server."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from helpers import REMOTE_ENV
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

pytestmark = pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)), reason="starts an Ember server of its own"
)

TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    from ember import server

    port = server.start_server(session_timeout="1s", detached_timeout="1s")
    yield server.remote_url(port)
    server.stop_server(port)


@pytest.fixture
def new_session(url: str) -> Iterator[Callable[[], SparkSession]]:
    """Sessions on the short-lived server, stopped afterwards so none stays the client's
    default or active session."""
    made: list[SparkSession] = []

    def make() -> SparkSession:
        made.append(SparkSession.builder.remote(url).create())
        return made[-1]

    yield make
    for session in made:
        session.stop()


def test_an_idle_session_expires_and_its_id_is_refused(
    new_session: Callable[[], SparkSession],
) -> None:
    spark = new_session()
    spark.range(3).createOrReplaceTempView("mine")
    assert spark.table("mine").count() == 3
    time.sleep(TIMEOUT_SECONDS * 2.5)
    with pytest.raises(PySparkException, match="INVALID_HANDLE.SESSION_CLOSED"):
        spark.table("mine").count()
    # A new session starts clean.
    fresh = new_session()
    assert fresh.range(2).count() == 2
    assert not fresh.catalog.tableExists("mine")


def test_a_session_running_a_query_does_not_expire(
    new_session: Callable[[], SparkSession],
) -> None:
    spark = new_session()

    @F.udf("long", useArrow=False)
    def slow(x: int) -> int:
        import time as sleeper

        sleeper.sleep(0.5)
        return x

    # Six half-second calls on at most two workers: longer than twice the timeout.
    total = spark.range(0, 6, 1, 6).select(slow("id").alias("v")).agg(F.sum("v")).first()
    assert total is not None and total[0] == 15
    assert spark.range(4).count() == 4


def test_a_released_session_is_refused_and_others_continue(
    new_session: Callable[[], SparkSession],
) -> None:
    spark = new_session()
    other = new_session()
    assert spark.range(1).count() == 1
    errors: list[Exception] = []

    def keep_busy() -> None:
        try:
            for _ in range(5):
                other.range(10).count()
                time.sleep(0.2)
        except Exception as error:
            errors.append(error)

    runner = threading.Thread(target=keep_busy)
    runner.start()
    spark.client.release_session()
    with pytest.raises(PySparkException, match="INVALID_HANDLE.SESSION_CLOSED"):
        spark.range(1).count()
    runner.join()
    assert not errors
