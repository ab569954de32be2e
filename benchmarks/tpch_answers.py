#!/usr/bin/env python3
"""Run the 22 TPC-H queries through spark.sql on a Spark Connect server and check every
answer against DuckDB on the same Parquet files.

    tpchgen-cli parquet -s 1 --output-dir /tmp/tpch1
    benchmarks/tpch_answers.py sc://localhost:15002 /tmp/tpch1 [--scale 1]

Prints one line per query (rows, seconds on the server, agreement) and exits 1 if any query
fails or disagrees. q11's fraction is scaled with the data, as is conventional.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from pyspark.sql import SparkSession

QUERIES = Path(__file__).resolve().parents[1].parent / "shared" / "tpch"
TABLES = ["lineitem", "orders", "customer", "part", "partsupp", "supplier", "nation", "region"]


def same_value(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, (int, float, Decimal)) and isinstance(theirs, (int, float, Decimal)):
        return math.isclose(float(ours), float(theirs), rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(ours, str) and isinstance(theirs, str):
        return ours.rstrip() == theirs.rstrip()
    if isinstance(ours, date) and isinstance(theirs, date):
        return ours == theirs
    return ours == theirs


def agree(query: str, ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> bool:
    if len(ours) != len(theirs):
        return False
    if not re.search(r"order\s+by", query, re.IGNORECASE):
        ours, theirs = sorted(ours, key=repr), sorted(theirs, key=repr)
    return all(
        len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(ours, theirs, strict=True)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("data", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    spark = SparkSession.builder.remote(args.url).getOrCreate()
    duck = duckdb.connect()
    for table in TABLES:
        path = sorted(args.data.glob(f"{table}*"))[0]
        spark.read.parquet(str(path)).createOrReplaceTempView(table)
        source = f"{path}/*.parquet" if path.is_dir() else str(path)
        duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}')")
    failures = 0
    total = 0.0
    for number in range(1, 23):
        query = (QUERIES / f"q{number}.sql").read_text()
        if number == 11:
            query = query.replace("0.0001", repr(0.0001 / args.scale))
        started = time.perf_counter()
        try:
            ours = [tuple(row) for row in spark.sql(query).collect()]
        except Exception as error:  # noqa: BLE001 - a failing query is reported, not raised
            failures += 1
            print(f"q{number:<2} ERROR {str(error).splitlines()[0][:150]}")
            continue
        seconds = time.perf_counter() - started
        total += seconds
        theirs = [tuple(row) for row in duck.execute(query).fetchall()]
        same = agree(query, ours, theirs)
        failures += 0 if same else 1
        verdict = "same as DuckDB" if same else "DIFFERS from DuckDB"
        print(f"q{number:<2} {len(ours):>6} rows {seconds:8.2f} s  {verdict}")
    print(f"{22 - failures} of 22 queries agree with DuckDB; {total:.1f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
