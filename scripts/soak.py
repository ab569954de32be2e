#!/usr/bin/env python3
"""Soak test: many concurrent client sessions, each looping over a fixed mix of work for a while.

    scripts/soak.py [--sessions 16] [--seconds 180] [--remote sc://host:port [--pid PID]]

Every session (its own ``SparkSession.builder.remote(url).create()`` on its own thread) runs the
same steps over and over: a SQL aggregate over a temp view, a DataFrame join + groupBy, a scalar
Python UDF (``useArrow=False``) and a pandas UDF, a parquet write and read back, a
``saveAsTable`` + ``insertInto`` round trip, ``cache()``/``unpersist()``, and two errors on
purpose (an unresolved column, a syntax error) that must raise the right error class. Each
step's answer is first computed in a single session; every concurrent answer must equal it.

Meanwhile the server's RSS (``VmRSS`` of /proc/PID/status) is sampled every second. The run
fails (exit 1) when an answer differs, a step raises what it should not, the server dies, or the
mean RSS of the last quarter of the run exceeds that of the second quarter by more than
``--rss-tolerance``. Without ``--remote`` the script starts ``ember server`` (``EMBER_BINARY``,
else the ``ember`` beside this Python) in a temporary directory; with it, pass ``--pid`` to
watch the server's memory. Needs pandas for the pandas UDF (the PySpark client requires it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import LongType, StringType
from pyspark.storagelevel import StorageLevel


@dataclass(frozen=True)
class Context:
    """What one session's steps need: its index, and where its files and table go."""

    index: int
    data_dir: str
    table: str
    udfs: tuple[Callable[..., Column], Callable[..., Column]]


def make_udfs() -> tuple[Callable[..., Column], Callable[..., Column]]:
    """The UDFs, defined in a function so that cloudpickle sends them by value, never by name."""

    def label(n: int | None) -> str | None:
        return None if n is None else f"{n % 5}-{'even' if n % 2 == 0 else 'odd'}"

    def scaled(s: pd.Series) -> pd.Series:
        return s * 3 + 1

    # Types as objects: a DDL string would be parsed by whichever session is active.
    return sf.udf(label, StringType(), useArrow=False), sf.pandas_udf(scaled, LongType())  # type: ignore[call-overload]


def rows(frame: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame.collect()]


def step_sql_aggregate(spark: SparkSession, ctx: Context) -> Any:
    spark.range(10_000).selectExpr(
        "id", "id % 7 AS k", "id * 3 AS v", f"{ctx.index} AS owner"
    ).createOrReplaceTempView("soak_numbers")
    # A view another session replaced would show up as rows of a foreign owner.
    return rows(
        spark.sql(
            "SELECT k, count(*), sum(v), avg(v), min(v), "
            f"sum(CASE WHEN owner = {ctx.index} THEN 0 ELSE 1 END) AS foreign_rows "
            "FROM soak_numbers WHERE v % 2 = 0 GROUP BY k ORDER BY k"
        )
    )


def step_join_group_by(spark: SparkSession, ctx: Context) -> Any:
    orders = spark.createDataFrame(
        [(i, i % 13, (i * 37) % 101) for i in range(400)], ["order_id", "customer", "amount"]
    )
    customers = spark.createDataFrame(
        [(c, f"region-{c % 4}") for c in range(13)], ["customer", "region"]
    )
    joined = orders.join(customers, "customer").groupBy("region")
    summary = joined.agg(
        sf.count("*").alias("n"), sf.sum("amount").alias("total"), sf.max("order_id").alias("last")
    )
    return rows(summary.orderBy("region"))


def step_python_udf(spark: SparkSession, ctx: Context) -> Any:
    label = ctx.udfs[0]
    frame = spark.range(2_000).select(label("id").alias("label"))
    return rows(frame.groupBy("label").count().orderBy("label"))


def step_pandas_udf(spark: SparkSession, ctx: Context) -> Any:
    scaled = ctx.udfs[1]
    frame = spark.range(5_000, numPartitions=4).select(scaled("id").alias("s"))
    return rows(frame.agg(sf.count("*"), sf.sum("s"), sf.min("s"), sf.max("s")))


def step_parquet(spark: SparkSession, ctx: Context) -> Any:
    path = os.path.join(ctx.data_dir, f"parquet_s{ctx.index}")
    source = spark.range(3_000).selectExpr("id", "id % 10 AS k", "cast(id AS string) AS s")
    source.write.mode("overwrite").parquet(path)
    back = spark.read.parquet(path)
    summary = back.groupBy("k").agg(sf.count("*"), sf.sum("id"), sf.max("s")).orderBy("k")
    return rows(summary)


def step_table(spark: SparkSession, ctx: Context) -> Any:
    first = spark.range(100).selectExpr("id", "id * 2 AS doubled")
    first.write.mode("overwrite").saveAsTable(ctx.table)
    spark.range(1_000, 1_050).selectExpr("id", "id * 2").write.insertInto(ctx.table)
    return rows(spark.table(ctx.table).agg(sf.count("*"), sf.sum("id"), sf.sum("doubled")))


def step_cache(spark: SparkSession, ctx: Context) -> Any:
    # The owner column makes the plan this session's own: Spark shares a cache across sessions.
    frame = spark.range(3_000).selectExpr("id", "id % 11 AS k", f"{ctx.index} AS owner").cache()
    count = frame.count()
    sums = rows(frame.groupBy("k").agg(sf.sum("id")).orderBy("k"))
    cached = frame.is_cached and frame.storageLevel != StorageLevel.NONE
    frame.unpersist()
    return count, sums, cached, frame.storageLevel == StorageLevel.NONE


def step_bad_column(spark: SparkSession, ctx: Context) -> Any:
    try:
        spark.range(3).select("no_such_column").collect()
    except ParseException:
        raise
    except AnalysisException as error:
        condition = error.getCondition() or ""
        if not condition.startswith("UNRESOLVED_COLUMN"):
            raise
        return type(error).__name__, condition
    raise AssertionError("selecting a missing column raised nothing")


def step_bad_sql(spark: SparkSession, ctx: Context) -> Any:
    try:
        spark.sql("SELEC id FROM range(3)").collect()
    except ParseException as error:
        return type(error).__name__, error.getCondition()
    raise AssertionError("a syntax error raised nothing")


STEPS: list[tuple[str, Callable[[SparkSession, Context], Any]]] = [
    (step.__name__.removeprefix("step_"), step)
    for step in (step_sql_aggregate, step_join_group_by, step_python_udf, step_pandas_udf)
    + (step_parquet, step_table, step_cache, step_bad_column, step_bad_sql)
]


@dataclass
class Results:
    """What all sessions saw; ``lock`` guards it."""

    durations: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n, _ in STEPS})
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    loops: dict[int, int] = field(default_factory=dict)
    sessions: list[tuple[Context, SparkSession]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, kind: str, text: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.problems) < 50:
                self.problems.append(text)


def session_loop(
    url: str, ctx: Context, expected: dict[str, Any], deadline: float, results: Results
) -> None:
    try:
        spark = SparkSession.builder.remote(url).create()
    except Exception as error:  # noqa: BLE001 - a failed connection is a finding
        results.failed(f"connect:{type(error).__name__}", f"session {ctx.index}: {error}")
        return
    with results.lock:
        results.sessions.append((ctx, spark))
    loops = 0
    while time.monotonic() < deadline:
        for name, step in STEPS:
            if time.monotonic() >= deadline:
                break
            started = time.monotonic()
            try:
                answer = step(spark, ctx)
                kind = None if answer == expected[name] else "mismatch"
                text = f"got {answer!r:.300}, expected {expected[name]!r:.300}"
            except Exception as error:  # noqa: BLE001 - every failure is counted
                kind, text = type(error).__name__, (str(error).strip() or "?").splitlines()[0]
            with results.lock:
                results.durations[name].append(time.monotonic() - started)
            if kind is not None:
                results.failed(f"{name}:{kind}", f"session {ctx.index} {name}: {kind}: {text:.300}")
        else:
            loops += 1
    with results.lock:
        results.loops[ctx.index] = loops


def rss_kb(pid: int) -> int | None:
    """VmRSS of ``pid`` in KiB, None when it is gone (a zombie has no VmRSS line)."""
    try:
        found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def children_rss_kb(pid: int) -> int:
    """The RSS of ``pid``'s children (the Python UDF workers), summed."""
    children = [
        c for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()
    ]
    return sum(rss_kb(int(child)) or 0 for child in children)


def sample_memory(pid: int, stop: threading.Event, samples: list[tuple[float, int, int]]) -> None:
    start = time.monotonic()
    while (rss := rss_kb(pid)) is not None:
        try:
            workers = children_rss_kb(pid)
        except OSError:
            workers = 0
        samples.append((time.monotonic() - start, rss, workers))
        if stop.wait(1.0):
            return


def slope_mb_per_min(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS over time, in MiB per minute."""
    mean_t = sum(t for t, _ in points) / len(points)
    mean_r = sum(r for _, r in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (r - mean_r) for t, r in points)
    return cov / var * 60 / 1024 if var else 0.0


def memory_report(samples: list[tuple[float, int, int]], tolerance: float) -> dict[str, Any]:
    if len(samples) < 8:
        return {"checked": False, "samples": len(samples)}
    end = samples[-1][0]
    quarters = [[r for t, r, _ in samples if q * end / 4 <= t <= (q + 1) * end / 4] for q in (1, 3)]
    q2, q4 = (sum(q) / len(q) / 1024 for q in quarters)
    return {
        "checked": True,
        "start_mb": samples[0][1] / 1024,
        "peak_mb": max(r for _, r, _ in samples) / 1024,
        "end_mb": samples[-1][1] / 1024,
        "q2_mean_mb": q2,
        "q4_mean_mb": q4,
        "growth_q2_to_q4": q4 / q2 - 1,
        "slope_second_half_mb_per_min": slope_mb_per_min(
            [(t, r) for t, r, _ in samples if t >= end / 2]
        ),
        "workers_start_mb": samples[0][2] / 1024,
        "workers_end_mb": samples[-1][2] / 1024,
        "tolerance": tolerance,
        "ok": q4 / q2 - 1 <= tolerance,
        "series": [[round(t, 1), r, w] for t, r, w in samples],
    }


class Server:
    """``ember server`` on a free port, in ``cwd`` (where its spark-warehouse goes)."""

    def __init__(self, cwd: str) -> None:
        binary = os.environ.get("EMBER_BINARY") or shutil.which(
            "ember", path=str(Path(sys.executable).parent)
        )
        if binary is None:
            raise SystemExit("no `ember` beside this Python; set EMBER_BINARY or use --remote")
        env = {**os.environ, "EMBER_PYTHON": os.environ.get("EMBER_PYTHON", sys.executable)}
        self.log = open(os.path.join(cwd, "server.log"), "a")  # closed in stop()
        command = [binary, "server", "--host", "127.0.0.1", "--port", "0"]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"sc://\S+", line)
        if found is None:
            self.stop()
            raise SystemExit(f"the server did not start: {line!r}; see {cwd}/server.log")
        self.url = found.group(0)
        # Keep reading stdout so that the server never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> int:
        """Stop the server (SIGTERM, then SIGKILL after 30 s) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        return self.process.wait()


def print_summary(report: dict[str, Any]) -> None:
    print(f"\n{'step':<15}{'runs':>8}{'failed':>8}{'mean ms':>10}{'max ms':>10}")
    for name, step in report["steps"].items():
        print(
            f"{name:<15}{step['runs']:>8}{step['failed']:>8}"
            f"{step['mean_ms']:>10.0f}{step['max_ms']:>10.0f}"
        )
    print(
        f"\n{report['sessions']} sessions, {report['seconds']:.0f} s: {report['requests']} "
        f"requests (steps), {report['loops']} full loops, {report['failures']} failures"
    )
    for kind, count in report["errors"].items():
        print(f"  {kind}: {count}")
    m = report["memory"]
    if m["checked"]:
        print(
            f"server RSS MiB: start {m['start_mb']:.0f}, peak {m['peak_mb']:.0f}, end "
            f"{m['end_mb']:.0f}; mean of 2nd quarter {m['q2_mean_mb']:.0f}, of last "
            f"{m['q4_mean_mb']:.0f} ({m['growth_q2_to_q4']:+.1%}, tolerance {m['tolerance']:.0%}); "
            f"slope over 2nd half {m['slope_second_half_mb_per_min']:+.1f} MiB/min; "
            f"UDF workers {m['workers_start_mb']:.0f} -> {m['workers_end_mb']:.0f}"
        )
    else:
        print("server RSS: not checked (no --pid, or too short a run)")
    for text in report["problems"]:
        print(f"  ! {text}")
    print("PASS" if report["ok"] else "FAIL")


def soak(
    url: str, pid: int | None, data_dir: str, sessions: int, seconds: float, tolerance: float
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    udfs = make_udfs()
    reference = SparkSession.builder.remote(url).create()
    try:
        ref_ctx = Context(sessions, data_dir, f"soak_{run}_reference", udfs)
        expected = {name: step(reference, ref_ctx) for name, step in STEPS}
        reference.sql(f"DROP TABLE IF EXISTS {ref_ctx.table}").collect()
    finally:
        reference.stop()
    results = Results()
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(pid, stop, samples), daemon=True)
    if pid is not None:
        sampler.start()
    started = time.monotonic()
    contexts = [Context(i, data_dir, f"soak_{run}_s{i}", udfs) for i in range(sessions)]
    threads = [
        threading.Thread(target=session_loop, args=(url, ctx, expected, started + seconds, results))
        for ctx in contexts
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(started + seconds - time.monotonic(), 0) + 300)
        if thread.is_alive():
            results.failed("hung", f"{thread.name} still running 300 s after the deadline")
    elapsed = time.monotonic() - started
    stop.set()
    if pid is not None:
        sampler.join()
        if rss_kb(pid) is None:
            results.failed("server:died", f"the server (pid {pid}) is gone")
    for ctx, spark in results.sessions:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {ctx.table}").collect()
            spark.stop()
        except Exception as error:  # noqa: BLE001 - a failed cleanup is a finding too
            results.failed(f"cleanup:{type(error).__name__}", f"session {ctx.index}: {error}")
    if stalled := [c.index for c in contexts if not results.loops.get(c.index)]:
        results.failed("stalled", f"sessions without one full loop: {stalled}")
    memory = memory_report(samples, tolerance)
    return {
        "url": url,
        "sessions": sessions,
        "seconds": elapsed,
        "requests": sum(len(d) for d in results.durations.values()),
        "loops": sum(results.loops.values()),
        "failures": sum(results.errors.values()),
        "errors": dict(results.errors),
        "steps": {
            name: {
                "runs": len(durations),
                "failed": sum(n for k, n in results.errors.items() if k.startswith(f"{name}:")),
                "mean_ms": sum(durations) / max(len(durations), 1) * 1000,
                "max_ms": max(durations, default=0) * 1000,
            }
            for name, durations in results.durations.items()
        },
        "expected": {name: repr(answer) for name, answer in expected.items()},
        "memory": memory,
        "problems": results.problems,
        "ok": not results.errors and memory.get("ok", True),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=16, help="concurrent sessions (16)")
    parser.add_argument("--seconds", type=float, default=180.0, help="run time (180)")
    parser.add_argument("--remote", help="sc:// URL of a running server instead of our own")
    parser.add_argument("--pid", type=int, help="with --remote: the server's pid, to watch RSS")
    parser.add_argument("--data-dir", help="directory for parquet output (default: a temp one)")
    parser.add_argument(
        "--rss-tolerance", type=float, default=0.15, help="allowed RSS growth, q2 to q4 (0.15)"
    )
    parser.add_argument("--json", help="write the report as JSON to this file")
    args = parser.parse_args(argv)
    # The client's finalizers make gRPC calls; run by the cyclic collector inside one of the
    # client's threads they can deadlock it (see tests/conftest.py). Collect at the end only.
    was_enabled = gc.isenabled()
    gc.disable()
    workdir = tempfile.mkdtemp(prefix="ember-soak-")
    server = None
    try:
        if args.remote:
            url, pid = args.remote, args.pid
        else:
            server = Server(workdir)
            url, pid = server.url, server.process.pid
            print(f"server pid {pid} at {url}, log {workdir}/server.log", flush=True)
        data_dir = args.data_dir or os.path.join(workdir, "data")
        report = soak(url, pid, data_dir, args.sessions, args.seconds, args.rss_tolerance)
    finally:
        code = server.stop() if server is not None else 0
        gc.collect()
        if was_enabled:
            gc.enable()
    if code not in (0, -signal.SIGTERM):
        report["problems"].append(f"server exit code {code}")
        report["ok"] = False
    print_summary(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    if report["ok"]:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept {workdir} (server.log, data)")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
