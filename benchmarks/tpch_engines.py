#!/usr/bin/env python3
"""TPC-H on several engines in one run over the same Parquet files, every answer checked.

    tpchgen-cli parquet -s 1 --output-dir /tmp/tpch1
    ember server --port 15010 &                      # a release build: scripts/setup.sh --release
    sail spark server --port 50051 &                 # pip install pysail
    benchmarks/tpch_engines.py /tmp/tpch1 --engine ember=sc://localhost:15010 \\
        --engine sail=sc://localhost:50051 [--runs 2] [--scale 1] [--json out.json] [--dataframe]

Spark Connect engines run the queries through the PySpark client's `spark.sql`; DuckDB runs
them in this process through its own Python API and gives the reference answers. With
`--dataframe`, each Spark Connect engine also runs the DataFrame-API version of every query
(benchmarks/tpch/), timed and checked the same way in a column `NAME-df` of its own. Each time is
the fastest of `--runs` runs of a query, measured around `collect()` (DuckDB: `fetchall()`).
Prints one row per query and the totals, writes the numbers as JSON when asked, and exits 1
when an engine fails a query or disagrees with DuckDB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from pyspark.sql import DataFrame, SparkSession
from tpch import QUERIES as DATAFRAME_QUERIES
from tpch import Tables
from tpch_answers import QUERIES, TABLES, agree

Rows = list[tuple[Any, ...]]


def query_text(number: int, scale: float) -> str:
    query = (QUERIES / f"q{number}.sql").read_text()
    # q11's fraction scales with the data, as is conventional.
    return query.replace("0.0001", repr(0.0001 / scale)) if number == 11 else query


def collected(frame: DataFrame) -> Rows:
    return [tuple(row) for row in frame.collect()]


def fastest(run: Callable[[], Rows], runs: int) -> tuple[float, Rows]:
    best = float("inf")
    rows: Rows = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return best, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--engine", action="append", default=[], metavar="NAME=URL")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--dataframe", action="store_true", help="also run the DataFrame-API queries"
    )
    args = parser.parse_args()

    duck = duckdb.connect()
    sessions: dict[str, SparkSession] = {}
    frames: dict[str, Tables] = {}
    for table in TABLES:
        path = sorted(args.data.glob(f"{table}*"))[0]
        source = f"{path}/*.parquet" if path.is_dir() else str(path)
        duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}')")
    for engine in args.engine:
        name, url = engine.split("=", 1)
        spark = SparkSession.builder.remote(url).create()
        tables: dict[str, DataFrame] = {}
        for table in TABLES:
            path = sorted(args.data.glob(f"{table}*"))[0]
            tables[table] = spark.read.parquet(str(path))
            tables[table].createOrReplaceTempView(table)
        sessions[name] = spark
        frames[name] = tables

    # A column per engine, and beside it the engine's DataFrame-API column when asked.
    plain = [*sessions, "duckdb"]
    names = plain
    if args.dataframe:
        names = [label for name in sessions for label in (name, f"{name}-df")] + ["duckdb"]
    seconds: dict[str, dict[int, float]] = {name: {} for name in names}
    failures = 0
    print("query " + "".join(f"{name:>10}" for name in names))
    for number in range(1, 23):
        query = query_text(number, args.scale)
        reference_time, reference = fastest(
            lambda q=query: [tuple(r) for r in duck.execute(q).fetchall()], args.runs
        )
        seconds["duckdb"][number] = reference_time
        runners: list[tuple[str, Callable[[], Rows]]] = []
        for name, spark in sessions.items():
            runners.append((name, lambda s=spark, q=query: collected(s.sql(q))))
            if args.dataframe:
                # The plan is built inside the timing: building it makes no server call.
                build = DATAFRAME_QUERIES[number]
                runners.append(
                    (f"{name}-df", lambda b=build, t=frames[name]: collected(b(t, args.scale)))
                )
        cells = []
        for label, run in runners:
            try:
                took, rows = fastest(run, args.runs)
            except Exception as error:  # noqa: BLE001 - a failing query is reported, not raised
                failures += 1
                cells.append(f"{'ERROR':>10}")
                print(f"q{number} on {label}: {str(error).splitlines()[0][:150]}", file=sys.stderr)
                continue
            seconds[label][number] = took
            # The SQL text decides, as for the SQL run, whether rows compare in order.
            ok = agree(query, rows, reference)
            failures += 0 if ok else 1
            cells.append(f"{took:9.2f}{' ' if ok else '!'}")
        print(f"q{number:<5}" + "".join(cells) + f"{reference_time:10.2f}")
    totals = {name: sum(seconds[name].values()) for name in names}
    print("total " + "".join(f"{totals[name]:10.2f}" for name in names))
    if args.json:
        report: dict[str, Any] = {
            "seconds": {name: seconds[name] for name in plain},
            "totals": {name: totals[name] for name in plain},
        }
        if args.dataframe:
            report["dataframe_seconds"] = {name: seconds[f"{name}-df"] for name in sessions}
            report["dataframe_totals"] = {name: totals[f"{name}-df"] for name in sessions}
        args.json.write_text(json.dumps(report, indent=2))
    if failures:
        print(f"{failures} failed or disagreeing answers (marked !)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
