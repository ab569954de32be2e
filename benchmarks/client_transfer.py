#!/usr/bin/env python3
"""Result transfer to the client: the seconds `toPandas()` takes to bring a two-column 20 M-row
frame from each server into this process, the answer checked.

    ember server --port 15010 &                      # a release build: scripts/setup.sh --release
    sail spark server --port 50051 &                 # pip install pysail
    spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer \\
        --master 'local[*]' --driver-memory 8g --conf spark.connect.grpc.binding.port=15002 &
    benchmarks/client_transfer.py --engine ember=sc://localhost:15010 \\
        --engine sail=sc://localhost:50051 --engine spark=sc://localhost:15002 \\
        [--rows 20000000] [--runs 3] [--arrow] [--json out.json]

The query is `spark.range(rows).selectExpr("id", "id * 2 AS x")`: computing it is trivial, so
the time is the server producing and serializing Arrow batches, gRPC, and the client decoding
them into pandas. `--engine NAME=embedded` runs Ember inside this process (`ember` installed).
`--arrow` also times `toArrow()`, which skips the pandas conversion. Each time is the fastest of
`--runs`; the frame's shape, dtypes and column sums are checked. Exits 1 when an engine fails or
returns a wrong answer.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession


def connect(url: str) -> SparkSession:
    if url == "embedded":
        import ember

        url = ember.embedded_url()
    # create(), not getOrCreate(): each engine gets its own session, never another's default.
    return SparkSession.builder.remote(url).create()


def frame(spark: SparkSession, rows: int) -> DataFrame:
    return spark.range(rows).selectExpr("id", "id * 2 AS x")


def check_pandas(result: Any, rows: int) -> str | None:
    """None when the pandas frame is the expected one, else what is wrong."""
    expected_sum = rows * (rows - 1) // 2
    if result.shape != (rows, 2) or list(result.columns) != ["id", "x"]:
        return f"shape {result.shape} columns {list(result.columns)}"
    if [str(t) for t in result.dtypes] != ["int64", "int64"]:
        return f"dtypes {[str(t) for t in result.dtypes]}"
    sums = (int(result["id"].sum()), int(result["x"].sum()))
    if sums != (expected_sum, 2 * expected_sum):
        return f"sums {sums}, expected {(expected_sum, 2 * expected_sum)}"
    return None


def check_arrow(result: Any, rows: int) -> str | None:
    import pyarrow.compute as pc

    expected_sum = rows * (rows - 1) // 2
    if result.num_rows != rows or result.column_names != ["id", "x"]:
        return f"{result.num_rows} rows, columns {result.column_names}"
    sums = (pc.sum(result["id"]).as_py(), pc.sum(result["x"]).as_py())
    if sums != (expected_sum, 2 * expected_sum):
        return f"sums {sums}, expected {(expected_sum, 2 * expected_sum)}"
    return None


def fastest(df: DataFrame, method: str, rows: int, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        result = df.toPandas() if method == "toPandas" else df.toArrow()
        took = time.perf_counter() - started
        problem = (check_pandas if method == "toPandas" else check_arrow)(result, rows)
        if problem:
            raise AssertionError(f"{method}: {problem}")
        best = min(best, took)
        # Free the previous result before the next run so runs don't compete for memory.
        del result
        gc.collect()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--arrow", action="store_true", help="also time toArrow()")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.engine:
        parser.error("give at least one --engine NAME=URL")

    methods = ["toPandas", "toArrow"] if args.arrow else ["toPandas"]
    megabytes = args.rows * 16 / 1e6  # two int64 columns
    seconds: dict[str, dict[str, float]] = {}
    failures = 0
    header = "".join(f"{m + ' s':>12}{'M rows/s':>10}{'MB/s':>9}" for m in methods)
    print(f"{'engine':<12}{header}")
    for engine in args.engine:
        name, url = engine.split("=", 1)
        cells = []
        seconds[name] = {}
        try:
            spark = connect(url)
            df = frame(spark, args.rows)
            for method in methods:
                took = fastest(df, method, args.rows, args.runs)
                seconds[name][method] = took
                cells.append(f"{took:12.3f}{args.rows / took / 1e6:10.2f}{megabytes / took:9.0f}")
        except Exception as error:  # noqa: BLE001 - a failing engine is reported, not raised
            failures += 1
            cells.append(f"{'ERROR':>12}")
            print(f"{name}: {str(error).strip().splitlines()[0][:300]}", file=sys.stderr)
        print(f"{name:<12}" + "".join(cells))
    print(f"{args.rows} rows x 2 bigint ({megabytes:.0f} MB), fastest of {args.runs} runs")
    if args.json:
        result = {"rows": args.rows, "runs": args.runs, "seconds": seconds}
        args.json.write_text(json.dumps(result, indent=2))
    sys.stdout.flush()
    # The client can hang at interpreter exit while its channel closes.
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    sys.exit(main())
