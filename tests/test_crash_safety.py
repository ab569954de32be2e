"""Writes survive a crash: the server is killed with SIGKILL in the middle of an overwrite, an
append, a `saveAsTable` and an `insertInto` (partitioned and not), then started again on the same
directory, and readers must see exactly the old rows or exactly the new ones (for an append: the
old rows, or the old plus all the new), never a mix and never a row twice.

Most kills land at a seeded random moment within the write's measured duration; every third one
lands as the writer starts moving its complete staged files into place (seen on disk), the
moment an atomic commit has to get right.
`EMBER_CRASH_ROUNDS` (default 3) sets the kills per write kind, `EMBER_CRASH_SEED` the seed.

These start and kill servers of their own (`EMBER_BINARY`, else the `ember` beside this Python),
so they run only against Ember, not another Spark Connect server."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import REMOTE_ENV
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get(REMOTE_ENV)), reason="kills Ember servers of its own"),
    # Stopping a session whose server was killed logs through a deprecated client method.
    pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning"),
]

ROUNDS = int(os.environ.get("EMBER_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("EMBER_CRASH_SEED", "1729"))
OLD_ROWS = 20_000
# Enough rows that a write takes about a second on a debug build with two cores.
NEW_ROWS = 200_000
# Many partition values: many directories, so moving them into place takes a while too.
PARTITION_VALUES = 64

Signature = dict[int, tuple[int, int, int, int]]


def ember_binary() -> str:
    explicit = os.environ.get("EMBER_BINARY")
    if explicit:
        return explicit
    found = shutil.which("ember", path=str(Path(sys.executable).parent)) or shutil.which("ember")
    if found is None:
        pytest.fail("no `ember` beside this Python nor on PATH; set EMBER_BINARY")
    return found


class Server:
    """`ember server` on a free port, with `cwd` holding its `spark-warehouse`."""

    def __init__(self, cwd: Path) -> None:
        env = dict(os.environ)
        env.setdefault("EMBER_PYTHON", sys.executable)
        self.log = open(cwd / "server.log", "a")  # closed in kill()
        self.process = subprocess.Popen(
            [ember_binary(), "server", "--host", "127.0.0.1", "--port", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        # Both the binary and the Python entry point print their URL once bound.
        line = self.process.stdout.readline()
        found = re.search(r"sc://\S+", line)
        if found is None:
            self.kill()
            pytest.fail(f"the server did not start: {line!r}, see {cwd / 'server.log'}")
        self.url = found.group(0)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def connect(url: str) -> SparkSession:
    session = SparkSession.builder.remote(url).create()
    # Without retries a call to a killed server fails at once instead of retrying for minutes.
    session.client.set_retry_policies([])
    return session


@dataclass(frozen=True)
class Kind:
    name: str
    table: bool
    append: bool
    partitioned: bool
    write: Callable[[DataFrame, str, list[str]], None]

    def create(self, rows: DataFrame, target: str) -> None:
        cols = ["p"] if self.partitioned else []
        writer = rows.write.mode("overwrite").partitionBy(*cols)
        if self.table:
            writer.saveAsTable(target)
        else:
            writer.parquet(target)


def _overwrite(rows: DataFrame, target: str, cols: list[str]) -> None:
    rows.write.mode("overwrite").partitionBy(*cols).parquet(target)


def _append(rows: DataFrame, target: str, cols: list[str]) -> None:
    rows.write.mode("append").partitionBy(*cols).parquet(target)


def _save_as_table(rows: DataFrame, target: str, cols: list[str]) -> None:
    rows.write.mode("overwrite").partitionBy(*cols).saveAsTable(target)


def _insert_into(rows: DataFrame, target: str, cols: list[str]) -> None:
    # The table keeps its own partitioning; insertInto matches columns by position.
    rows.write.insertInto(target)


KINDS = [
    Kind(f"{name}{'_partitioned' if partitioned else ''}", table, append, partitioned, write)
    for name, table, append, write in [
        ("overwrite", False, False, _overwrite),
        ("append", False, True, _append),
        ("save_as_table", True, False, _save_as_table),
        ("insert_into", True, True, _insert_into),
    ]
    for partitioned in (False, True)
]


def batch(spark: SparkSession, count: int, number: int) -> DataFrame:
    # The partition column comes last, where a partitioned table puts it, for insertInto.
    return spark.range(count, numPartitions=8).select(
        "id",
        sf.lit(number).alias("batch"),
        sf.sha2(sf.col("id").cast("string"), 256).alias("pad"),
        (sf.col("id") % PARTITION_VALUES).cast("int").alias("p"),
    )


def expected(count: int) -> tuple[int, int, int, int]:
    """Rows, distinct ids, sum of ids and sum of partition values of `batch(count, _)`."""
    return (count, count, count * (count - 1) // 2, sum(i % PARTITION_VALUES for i in range(count)))


def signature(rows: DataFrame) -> Signature:
    # A lost or repeated file changes the count; a repeated row makes count and distinct differ;
    # a file under the wrong partition directory changes the sum of `p`.
    got = rows.groupBy("batch").agg(
        sf.count("*"), sf.count_distinct("id"), sf.sum("id"), sf.sum("p")
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in got.collect()}


def listed(directory: Path) -> int | None:
    """How many entries `directory` holds, None once it is gone."""
    try:
        return len(os.listdir(directory))
    except FileNotFoundError:
        return None


@dataclass
class Outcome:
    attempt: int
    moment: str
    acknowledged: bool
    seen: str
    detail: str
    leftovers: list[str]


class Harness:
    """One kind's target directory and server, restarted on the same directory after a kill."""

    def __init__(self, kind: Kind, cwd: Path) -> None:
        self.kind = kind
        self.cwd = cwd
        self.parent = cwd / ("spark-warehouse" if kind.table else "data")
        self.server = Server(cwd)
        self.session = connect(self.server.url)
        self.old: Signature = {0: expected(OLD_ROWS)}
        new = {1: expected(NEW_ROWS)}
        self.new: Signature = {**self.old, **new} if kind.append else new

    def data_dir(self, attempt: int) -> Path:
        return self.parent / f"{self.kind.name}_{attempt}"

    def target(self, attempt: int) -> str:
        return self.data_dir(attempt).name if self.kind.table else str(self.data_dir(attempt))

    def prepare(self, attempt: int) -> None:
        self.kind.create(batch(self.session, OLD_ROWS, 0), self.target(attempt))

    def write(self, attempt: int) -> None:
        cols = ["p"] if self.kind.partitioned else []
        self.kind.write(batch(self.session, NEW_ROWS, 1), self.target(attempt), cols)

    def read(self, attempt: int) -> DataFrame:
        target = self.target(attempt)
        return self.session.table(target) if self.kind.table else self.session.read.parquet(target)

    def classify(self, attempt: int) -> tuple[str, str]:
        try:
            seen = signature(self.read(attempt))
        except Exception as error:  # a missing directory or table is neither old nor new
            return "unreadable", str(error).splitlines()[0]
        if seen == self.old:
            return "old", ""
        if seen == self.new:
            return "new", ""
        if not seen:
            return "empty", "no rows at all"
        return "mixed", f"per batch (rows, ids, sum id, sum p): {seen}"

    def leftovers(self, attempt: int) -> list[str]:
        name = self.data_dir(attempt).name
        return sorted(n for n in os.listdir(self.parent) if n.startswith(f".{name}."))

    def crash(self, attempt: int, delay: float | None) -> Outcome:
        """Start the write, kill the server after `delay` seconds or, when None, as soon as
        the commit begins, start it again and see what readers get."""
        result: dict[str, BaseException | None] = {}

        def run() -> None:
            try:
                self.write(attempt)
                result["done"] = None
            except BaseException as error:  # the kill fails the call; that is expected
                result["failed"] = error

        writer = threading.Thread(target=run, daemon=True)
        writer.start()
        if delay is None:
            moment = "commit" if self.wait_for_commit(attempt, writer) else "missed commit"
        else:
            time.sleep(delay)
            moment = f"{delay:.3f}s"
        self.server.kill()
        writer.join(timeout=60)
        assert not writer.is_alive(), "the write did not return after the server was killed"
        acknowledged = "done" in result
        self.session.stop()
        self.server = Server(self.cwd)
        self.session = connect(self.server.url)
        seen, detail = self.classify(attempt)
        return Outcome(attempt, moment, acknowledged, seen, detail, self.leftovers(attempt))

    def wait_for_commit(self, attempt: int, writer: threading.Thread) -> bool:
        """Waits until the writer starts moving its complete staged files into place: the
        target moved aside, or a first staged entry moved in. False if the write ended first."""
        target = self.data_dir(attempt)
        prefix = f".{target.name}.ember-staging-"
        staging: Path | None = None
        entries: int | None = None
        while writer.is_alive():
            if staging is None:
                found = [n for n in os.listdir(self.parent) if n.startswith(prefix)]
                staging = self.parent / found[0] if found else None
            elif entries is None:
                # `_SUCCESS` is staged last; no sleeping from here on, the commit is quick.
                if not (staging / "_SUCCESS").exists():
                    time.sleep(0.0002)
                    continue
                entries = listed(staging)
                if entries is None:
                    return False
            elif not target.exists():
                return True
            elif self.kind.append:
                # An overwrite's window is between two renames: poll nothing else meanwhile.
                now = listed(staging)
                if now is None:
                    return False
                if now < entries:
                    return True
        return False

    def close(self) -> None:
        self.session.stop()
        self.server.kill()


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_a_write_killed_at_any_moment_leaves_the_old_or_the_new_rows(
    kind: Kind, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}:{kind.name}")
    harness = Harness(kind, tmp_path)
    outcomes: list[Outcome] = []
    try:
        # Round 0 is not killed: it times the write and checks what a finished one leaves.
        harness.prepare(0)
        assert harness.classify(0) == ("old", "")
        started = time.monotonic()
        harness.write(0)
        duration = time.monotonic() - started
        assert harness.classify(0) == ("new", "")
        assert harness.leftovers(0) == []
        for attempt in range(1, ROUNDS + 1):
            harness.prepare(attempt)
            delay = None if attempt % 3 == 0 else rng.uniform(0.0, 1.0) * duration
            outcomes.append(harness.crash(attempt, delay))
        tables = [t.name for t in harness.session.catalog.listTables()] if kind.table else []
    finally:
        harness.close()
    report = "\n".join(
        f"  attempt {o.attempt} killed at {o.moment}: {o.seen}"
        f"{' (acknowledged)' if o.acknowledged else ''} {o.detail}"
        f"{' leftovers: ' + ', '.join(o.leftovers) if o.leftovers else ''}"
        for o in outcomes
    )
    print(f"\n{kind.name}: write takes {duration:.2f}s\n{report}")
    for outcome in outcomes:
        assert outcome.seen in ("old", "new"), f"{kind.name}:\n{report}"
        # A write the client saw succeed must not be undone by a later crash.
        assert outcome.seen == "new" or not outcome.acknowledged, f"{kind.name}:\n{report}"
    # Leftover staging directories are hidden siblings: never a table, never inside the data.
    assert all(not t.startswith(".") for t in tables), tables
    for attempt in range(ROUNDS + 1):
        inside = harness.data_dir(attempt)
        assert not list(inside.rglob("*ember-*")), f"staging files inside {inside}"
