#!/usr/bin/env python3
"""Start-up time: how long a fresh Python process takes to import Ember and the PySpark client,
start the embedded engine and get the first answer from it.

    benchmarks/startup.py [--samples 10] [--json out.json]
    benchmarks/startup.py --engine sail=sc://localhost:50051 --engine spark=sc://localhost:15002

Each sample is a new interpreter (`--python`, this one by default), so no module, thread pool
or cache is warm. It times the imports (`import ember`, then the Spark Connect client with
pyspark, grpc, pandas and pyarrow), loading Ember's native library, `ember.session()` and the
first `spark.range(1).collect()`; "ready" is native + session + first, the time from
`ember.session()` to the first result. `--engine NAME=URL` (or `--remote URL`) adds a row per
running server, timed the same way with `SparkSession.builder.remote(URL).create()` in place of
`ember.session()` (those servers are already warm: this is the client's connect and first query).
`--no-embedded` leaves out the embedded Ember. The files stay in the OS page cache between
samples, so this is a warm-disk start, as on a developer's machine after the first run. Prints
the median of each phase and writes the samples as JSON when asked.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PHASES = ["import_ember", "import_pyspark", "native", "session", "first", "ready", "process"]
EMBEDDED = "embedded"


def child(target: str) -> None:
    """One sample, run in a fresh interpreter: prints the phase times as one JSON line."""
    clock = time.perf_counter
    times: dict[str, float] = {}
    started = clock()
    import ember

    times["import_ember"] = clock() - started
    started = clock()
    # The connect session module pulls in grpc, pandas and pyarrow; import it here so that
    # "session" measures the engine and the connection, not the client's imports.
    import pyspark.sql.connect.session  # noqa: F401
    from pyspark.sql import SparkSession

    times["import_pyspark"] = clock() - started
    started = clock()
    if target == EMBEDDED:
        # ember.session() loads the native library lazily; time that on its own.
        import ember._native  # noqa: F401
    times["native"] = clock() - started
    started = clock()
    if target == EMBEDDED:
        spark = ember.session()
    else:
        spark = SparkSession.builder.remote(target).create()
    times["session"] = clock() - started
    started = clock()
    rows = spark.range(1).collect()
    times["first"] = clock() - started
    assert [tuple(row) for row in rows] == [(0,)], rows
    times["ready"] = times["native"] + times["session"] + times["first"]
    print(json.dumps(times), flush=True)
    # The client can hang at interpreter exit while its channel closes; the embedded server's
    # shutdown is not what is measured either.
    os._exit(0)


def sample(python: str, target: str, timeout: float) -> dict[str, float]:
    env = dict(os.environ)
    # Keep the client from drawing a progress bar and from picking up a remote from outside.
    env.pop("SPARK_CONNECT_PROGRESS_BAR_ENABLED", None)
    env.pop("SPARK_REMOTE", None)
    started = time.perf_counter()
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), "--child", target],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    process = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"sample failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    times: dict[str, float] = json.loads(lines[-1])
    times["process"] = process
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--remote", action="append", default=[], metavar="URL")
    parser.add_argument("--no-embedded", action="store_true", help="only the --engine servers")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--python", default=sys.executable, help="interpreter for each sample")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per sample")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0

    targets: dict[str, str] = {} if args.no_embedded else {"ember (embedded)": EMBEDDED}
    for engine in args.engine:
        name, url = engine.split("=", 1)
        targets[name] = url
    for url in args.remote:
        targets[url] = url
    samples: dict[str, list[dict[str, float]]] = {}
    medians: dict[str, dict[str, float]] = {}
    failures = 0
    width = max(len(name) for name in targets) if targets else 6
    print(f"{'engine':<{width}}" + "".join(f"{phase:>15}" for phase in PHASES))
    for name, target in targets.items():
        runs: list[dict[str, float]] = []
        try:
            for _ in range(args.samples):
                runs.append(sample(args.python, target, args.timeout))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            failures += 1
            print(f"{name}: {str(error).strip()[-600:]}", file=sys.stderr)
            continue
        samples[name] = runs
        medians[name] = {p: statistics.median(run[p] for run in runs) for p in PHASES}
        print(f"{name:<{width}}" + "".join(f"{medians[name][p]:15.3f}" for p in PHASES))
    print(f"seconds, median of {args.samples} fresh processes; ready = native + session + first")
    if args.json:
        result = {"samples": samples, "medians": medians, "python": args.python}
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
