"""Small helpers for the test suites (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Iterator
from typing import Any

from pyspark.sql import DataFrame, Row, SparkSession

# Set to an sc:// URL to run the suites against another Spark Connect server (see conftest.py).
REMOTE_ENV = "EMBER_TEST_REMOTE"


def show_string(df: DataFrame, n: int = 20, truncate: bool | int = True) -> str:
    """Exactly what ``df.show(n, truncate)`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        df.show(n, truncate)
    return out.getvalue()


def rows(df: DataFrame) -> list[tuple[Any, ...]]:
    """The rows of ``df`` as plain tuples, in the order the server returned them."""
    return [tuple(row) for row in df.collect()]


def sorted_rows(df: DataFrame) -> list[tuple[Any, ...]]:
    """The rows of ``df`` as tuples, sorted with None first, for order-insensitive checks."""
    return sorted(rows(df), key=_null_first_key)


def _null_first_key(row: Iterable[Any]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is not None, value) for value in row)


def as_dicts(collected: Iterable[Row]) -> list[dict[str, Any]]:
    return [row.asDict() for row in collected]


@contextlib.contextmanager
def session_time_zone(spark: SparkSession, zone: str) -> Iterator[None]:
    """Run a block with the session time zone set to ``zone``, restoring it afterwards."""
    before = spark.conf.get("spark.sql.session.timeZone")
    assert before is not None
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        yield
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)


@contextlib.contextmanager
def session_conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """Run a block with ``key`` set to ``value``, unsetting it afterwards."""
    spark.conf.set(key, value)
    try:
        yield
    finally:
        spark.conf.unset(key)
