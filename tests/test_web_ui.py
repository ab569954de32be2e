"""The web UI's JSON API (`/api/v1/...`, Spark's REST paths where they fit) and its page: queries
with their state, rows, errors and plans with metrics; sessions; the environment. A server
without the UI tells no UI URL.

These start servers of their own (`ember.start_server(ui_port=0)` binds any free port), so they
run only against Ember's embedded server."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import REMOTE_ENV
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

pytestmark = pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)), reason="starts Ember servers of its own"
)


def fetch(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
        return json.loads(body) if "json" in response.headers["Content-Type"] else body


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SparkSession, str]]:
    from ember import server as ember_server

    port = ember_server.start_server(ui_port=0)
    ui = ember_server.ui_url(port)
    assert ui is not None
    spark = SparkSession.builder.remote(ember_server.remote_url(port)).create()
    yield spark, ui
    spark.stop()
    ember_server.stop_server(port)


@pytest.fixture(scope="module")
def api(server: tuple[SparkSession, str]) -> Callable[[str], Any]:
    _, ui = server
    app = fetch(f"{ui}/api/v1/applications")[0]["id"]
    return lambda path: fetch(f"{ui}/api/v1/applications/{app}{path}")


def test_the_session_tells_the_ui_url(server: tuple[SparkSession, str]) -> None:
    spark, ui = server
    assert spark.conf.get("spark.ui.url") == ui
    assert "<title>Ember</title>" in fetch(f"{ui}/")


def test_queries_are_listed_with_state_rows_and_errors(
    server: tuple[SparkSession, str], api: Callable[[str], Any]
) -> None:
    spark, _ = server
    spark.range(1000).groupBy((F.col("id") % 7).alias("k")).count().collect()
    spark.sql("SELECT 40 + 2 AS answer").collect()
    with pytest.raises(PySparkException):
        spark.sql("SELECT no_such_column").collect()
    queries = api("/sql?details=false")
    by_text = {q["description"]: q for q in queries}
    assert by_text["SELECT 40 + 2 AS answer"]["status"] == "COMPLETED"
    assert by_text["SELECT 40 + 2 AS answer"]["rows"] == 1
    failed = by_text["SELECT no_such_column"]
    assert failed["status"] == "FAILED"
    assert "UNRESOLVED_COLUMN" in failed["error"]
    grouped = [q for q in queries if "Aggregate" in q["description"]]
    assert grouped and grouped[0]["status"] == "COMPLETED" and grouped[0]["rows"] == 7
    assert all("nodes" not in q for q in queries)


def test_a_query_shows_its_plan_with_metrics_and_stages(
    server: tuple[SparkSession, str], api: Callable[[str], Any]
) -> None:
    spark, _ = server
    spark.range(5000).filter("id % 2 = 0").agg(F.sum("id")).collect()
    newest = api("/sql?details=false&length=1")[0]
    query = api(f"/sql/{newest['id']}")
    names = [node["nodeName"] for node in query["nodes"]]
    assert "AggregateExec" in names and "FilterExec" in names
    filtered = next(node for node in query["nodes"] if node["nodeName"] == "FilterExec")
    rows_out = {m["name"]: m["raw"] for m in filtered["metrics"]}
    assert rows_out["output_rows"] == 2500
    # Every operator but the root hangs below another one.
    assert len(query["edges"]) == len(query["nodes"]) - 1
    assert query["stages"] and all(stage["done"] for stage in query["stages"])
    assert "FilterExec" in query["planDescription"]


def test_a_running_query_is_seen_running(
    server: tuple[SparkSession, str], api: Callable[[str], Any]
) -> None:
    spark, _ = server

    @F.udf("long", useArrow=False)
    def slow(x: int) -> int:
        import time as sleeper

        sleeper.sleep(0.3)
        return x

    runner = threading.Thread(target=lambda: spark.range(0, 8, 1, 8).select(slow("id")).collect())
    runner.start()
    seen: list[dict[str, Any]] = []
    while runner.is_alive() and not seen:
        seen = [q for q in api("/sql?details=false") if q["status"] == "RUNNING"]
        time.sleep(0.1)
    runner.join()
    assert seen, "the query was never listed as running"
    finished = api(f"/sql/{seen[0]['id']}")
    assert finished["status"] == "COMPLETED" and finished["rows"] == 8


def test_sessions_and_environment(
    server: tuple[SparkSession, str], api: Callable[[str], Any]
) -> None:
    spark, ui = server
    spark.range(1).collect()
    sessions = api("/sessions")
    mine = [s for s in sessions if s["id"] == spark.client._session_id]
    assert mine and mine[0]["queries"] >= 1 and mine[0]["endTime"] is None
    properties = dict(api("/environment")["sparkProperties"])
    assert properties["spark.ui.url"] == ui
    assert properties["spark.version"] == "4.1.1"
    with pytest.raises(urllib.error.HTTPError):
        fetch(f"{ui}/api/v1/applications/not-this-app/sql")


def test_a_server_without_the_ui_has_no_url() -> None:
    from ember import server as ember_server

    port = ember_server.start_server(ui_port=None)
    try:
        assert ember_server.ui_url(port) is None
        spark = SparkSession.builder.remote(ember_server.remote_url(port)).create()
        try:
            assert spark.conf.get("spark.ui.url", None) is None
        finally:
            spark.stop()
    finally:
        ember_server.stop_server(port)


def test_the_event_log_is_served_by_history(tmp_path: Any) -> None:
    from ember import server as ember_server

    logs = tmp_path / "events"
    port = ember_server.start_server(ui_port=None, event_log_dir=str(logs))
    spark = SparkSession.builder.remote(ember_server.remote_url(port)).create()
    try:
        spark.range(300).filter("id >= 100").collect()
        with pytest.raises(PySparkException):
            spark.sql("SELECT missing_column").collect()
    finally:
        spark.stop()
        ember_server.stop_server(port)
    assert len(list(logs.glob("*.jsonl"))) == 1
    history = ember_server.start_history(str(logs), port=0)
    app = fetch(f"{history}/api/v1/applications")
    assert len(app) == 1
    queries = fetch(f"{history}/api/v1/applications/{app[0]['id']}/sql")
    ran = [q for q in queries if q["status"] == "COMPLETED" and q["rows"] == 200]
    assert ran and any(n["nodeName"] == "FilterExec" for n in ran[0]["nodes"])
    failed = [q for q in queries if q["status"] == "FAILED"]
    assert failed and "UNRESOLVED_COLUMN" in failed[0]["error"]
