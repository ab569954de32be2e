#!/usr/bin/env python3
"""Python UDF throughput: rows per second through a scalar `udf`, a `pandas_udf` and
`mapInArrow` on each engine, over the same `spark.range(rows)`, every answer checked.

    EMBER_PYTHON=.venv/bin/python ember server --port 15010 &     # a release build
    sail spark server --port 50051 &      # its Python also needs pyspark-client, pandas, pyarrow
    PYSPARK_PYTHON=python3.11 spark-submit \\
        --class org.apache.spark.sql.connect.service.SparkConnectServer \\
        --master 'local[*]' --driver-memory 8g --conf spark.connect.grpc.binding.port=15002 &
    benchmarks/python_udfs.py --engine ember=sc://localhost:15010 \\
        --engine sail=sc://localhost:50051 --engine spark=sc://localhost:15002 \\
        [--rows 10000000] [--runs 2] [--json out.json]

Each workload adds one to `id` in Python and sums the result with `agg(F.sum, F.count)`, so every
row goes through the Python worker and back and only one row comes to the client:
- builtin: `id + 1` as a SQL expression, no Python (the engine's own cost, for reference);
- udf: `F.udf(lambda x: x + 1, "long", useArrow=False)`, one Python call per row, rows pickled;
- arrow_udf: the same with `useArrow=True`, still one call per row but Arrow batches in and out;
- pandas_udf: a Series -> Series `pandas_udf` (Arrow batches, vectorized);
- mapInArrow: a function over `pyarrow.RecordBatch`es that passes `id` through and appends
  `y = id + 1`.
The servers' Python workers need pandas and pyarrow and the client's Python minor version (3.11
here). Each time is the fastest of `--runs`, measured around `collect()`. `--engine
NAME=embedded` runs Ember inside this process. Exits 1 when an engine fails a workload or its
answer differs from the expected sum (which all engines must then share).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

WORKLOADS = ["builtin", "udf", "arrow_udf", "pandas_udf", "mapInArrow"]


def plus_one(x: int) -> int:
    return x + 1


def plus_one_series(s: pd.Series) -> pd.Series:
    return s + 1


def with_plus_one(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        ids = batch.column(0)
        yield pa.RecordBatch.from_arrays([ids, pc.add(ids, 1)], names=["id", "y"])


def total(df: DataFrame, column: Column) -> tuple[int, int]:
    row = df.agg(F.sum(column), F.count(F.lit(1))).collect()[0]
    return int(row[0]), int(row[1])


def workloads(spark: SparkSession, rows: int) -> dict[str, Callable[[], tuple[int, int]]]:
    ids = spark.range(rows)
    # useArrow given explicitly: otherwise the client infers the kind from type hints and the
    # server's spark.sql.execution.pythonUDF.arrow.enabled, which differ between engines.
    udf = F.udf(plus_one, "long", useArrow=False)
    arrow_udf = F.udf(plus_one, "long", useArrow=True)
    pandas_udf = F.pandas_udf(plus_one_series, "long")
    return {
        "builtin": lambda: total(ids, F.col("id") + 1),
        "udf": lambda: total(ids, udf("id")),
        "arrow_udf": lambda: total(ids, arrow_udf("id")),
        "pandas_udf": lambda: total(ids, pandas_udf("id")),
        "mapInArrow": lambda: total(ids.mapInArrow(with_plus_one, "id long, y long"), F.col("y")),
    }


def connect(url: str) -> SparkSession:
    if url == "embedded":
        import ember

        url = ember.embedded_url()
    # create(), not getOrCreate(): each engine gets its own session, never another's default.
    return SparkSession.builder.remote(url).create()


def fastest(run: Callable[[], tuple[int, int]], runs: int) -> tuple[float, tuple[int, int]]:
    best = float("inf")
    answer = (0, 0)
    for _ in range(runs):
        started = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - started)
    return best, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--workload", action="append", choices=WORKLOADS, help="run only these (repeatable)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.engine:
        parser.error("give at least one --engine NAME=URL")

    chosen = args.workload or WORKLOADS
    # sum(id + 1) over 0..rows-1, and the row count.
    expected = (args.rows * (args.rows - 1) // 2 + args.rows, args.rows)
    seconds: dict[str, dict[str, float]] = {}
    answers: dict[str, dict[str, Any]] = {}
    failures = 0
    names = [engine.split("=", 1)[0] for engine in args.engine]
    print(f"{'workload':<12}" + "".join(f"{name + ' s':>14}{'M rows/s':>10}" for name in names))
    sessions: dict[str, dict[str, Callable[[], tuple[int, int]]]] = {}
    for engine in args.engine:
        name, url = engine.split("=", 1)
        sessions[name] = workloads(connect(url), args.rows)
        seconds[name], answers[name] = {}, {}
    for workload in chosen:
        cells = []
        for name, runs in sessions.items():
            try:
                took, answer = fastest(runs[workload], args.runs)
            except Exception as error:  # noqa: BLE001 - a failing workload is reported, not raised
                failures += 1
                answers[name][workload] = "error"
                cells.append(f"{'ERROR':>14}{'':>10}")
                first = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
                print(f"{workload} on {name}: {type(error).__name__}: {first}", file=sys.stderr)
                continue
            ok = answer == expected
            failures += 0 if ok else 1
            seconds[name][workload] = took
            answers[name][workload] = list(answer)
            if not ok:
                print(f"{workload} on {name}: {answer}, expected {expected}", file=sys.stderr)
            cells.append(f"{took:13.3f}{' ' if ok else '!'}{args.rows / took / 1e6:10.3f}")
        print(f"{workload:<12}" + "".join(cells))
    print(f"{args.rows} rows, fastest of {args.runs} runs; ! marks a wrong answer")
    if args.json:
        result = {"rows": args.rows, "runs": args.runs, "seconds": seconds, "answers": answers}
        args.json.write_text(json.dumps(result, indent=2))
    sys.stdout.flush()
    # The client can hang at interpreter exit while its channel closes.
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    sys.exit(main())
