"""Shared fixtures: one PySpark session against Ember for the whole run.

By default the session comes from ``ember.session()``, which starts the embedded server in this
process. Set ``EMBER_TEST_REMOTE=sc://host:port`` to run the same suite against another Spark
Connect server instead, e.g. Apache Spark 4.1.1, to check that an expected value is Spark's.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator

import pytest
from helpers import REMOTE_ENV, session_time_zone
from pyspark.sql import SparkSession

# The PySpark client's finalizers make gRPC calls and shut down its shared thread pool. Run
# by the cyclic garbage collector at an allocation inside one of that pool's threads, they
# deadlock the client. Collection runs between tests instead, on the main thread.
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(scope="session")
def remote_url() -> str:
    """The ``sc://`` URL of the server under test."""
    remote = os.environ.get(REMOTE_ENV)
    if remote:
        return remote
    import ember

    return ember.embedded_url()


@pytest.fixture(scope="session")
def spark(remote_url: str) -> Iterator[SparkSession]:
    if os.environ.get(REMOTE_ENV):
        session = SparkSession.builder.remote(remote_url).getOrCreate()
    else:
        import ember

        session = ember.session()
    yield session


@pytest.fixture
def utc(spark: SparkSession) -> Iterator[None]:
    """Run a test with the session time zone set to UTC, restoring it afterwards."""
    with session_time_zone(spark, "UTC"):
        yield


@pytest.fixture
def database(spark: SparkSession) -> Iterator[str]:
    """A database of the test's own, dropped with its tables at the end."""
    name = f"test_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {name}")
    yield name
    spark.sql("USE default")
    spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
