#!/usr/bin/env python3
"""Run the same SQL statements against two Spark Connect servers and diff the answers.

    scripts/sql_compare.py sc://localhost:15002 sc://localhost:15003 [corpus files...]

The first URL is the server under test (Ember), the second the reference (Apache Spark 4.1.1,
for example `start-connect-server.sh` from a pyspark 4.1.1 install). The corpus defaults to
`tests/sql_corpus/*.sql`: statements separated by a line ending in `;`, run in file order, each
file in a fresh session. A query's rows are compared in order when it has ORDER BY and as a
multiset otherwise; numbers compare with a relative tolerance of 1e-9. A statement that fails
on both sides matches when both errors carry the same error class.

Prints one line per difference and a summary; exits 1 when any statement differs.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "sql_corpus"
ERROR_CLASS = re.compile(r"\[([A-Z][A-Z0-9_.]+)\]")


def statements(path: Path) -> Iterator[str]:
    """Statements of a corpus file, without comment lines."""
    current: list[str] = []
    for line in path.read_text().splitlines():
        if line.strip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            text = "\n".join(current).strip().rstrip(";").strip()
            current = []
            if text:
                yield text
    tail = "\n".join(current).strip()
    if tail:
        yield tail


def outcome(spark: SparkSession, statement: str) -> tuple[str, Any]:
    """("rows", rows), or ("error", error class)."""
    try:
        frame = spark.sql(statement)
        return "rows", [tuple(row) for row in frame.collect()]
    except Exception as error:  # noqa: BLE001 - every failure is an answer to compare
        match = ERROR_CLASS.search(str(error))
        return "error", match.group(1).split(".")[0] if match else type(error).__name__


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return a == b


def same_rows(statement: str, ours: list[tuple[Any, ...]], theirs: list[tuple[Any, ...]]) -> bool:
    if len(ours) != len(theirs):
        return False
    if not re.search(r"\border\s+by\b", statement, re.IGNORECASE):
        ours, theirs = sorted(ours, key=repr), sorted(theirs, key=repr)
    return all(same_value(a, b) for a, b in zip(ours, theirs, strict=True))


def compare_file(path: Path, ember_url: str, spark_url: str) -> tuple[int, list[str]]:
    ember = SparkSession.builder.remote(ember_url).create()
    spark = SparkSession.builder.remote(spark_url).create()
    count, differences = 0, []
    try:
        for statement in statements(path):
            count += 1
            ours, theirs = outcome(ember, statement), outcome(spark, statement)
            equal = ours[0] == theirs[0] and (
                ours[1] == theirs[1]
                if ours[0] == "error"
                else same_rows(statement, ours[1], theirs[1])
            )
            if not equal:
                one_line = " ".join(statement.split())
                differences.append(
                    f"{path.name}: {one_line}\n    ember: {ours}\n    spark: {theirs}"
                )
    finally:
        ember.stop()
        spark.stop()
    return count, differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ember_url")
    parser.add_argument("spark_url")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    files = args.files or sorted(CORPUS.glob("*.sql"))
    total, differences = 0, []
    for path in files:
        count, found = compare_file(path, args.ember_url, args.spark_url)
        total += count
        differences.extend(found)
    for difference in differences:
        print(difference)
    print(f"{total - len(differences)} of {total} statements agree ({len(differences)} differ)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
