#!/usr/bin/env python3
"""An iterative job: a loop that joins a frame with its own previous result, caching each step,
as graph and ranking jobs do. With caching that caches, every step costs about the same; without
it, each step recomputes all earlier ones and the loop slows down step by step.

    benchmarks/iterative_cache.py --remote sc://localhost:15010 [--steps 20] [--rows 200000]
                                  [--no-cache]

Prints each step's time and the ratio of the last steps to the first ones, and writes JSON
(`--json PATH`). Point `--remote` at a release build for honest numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def run(remote: str, steps: int, rows: int, cache: bool) -> list[float]:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.remote(remote).getOrCreate()
    edges = spark.range(rows).select(
        F.col("id").alias("src"), ((F.col("id") * 7 + 3) % rows).alias("dst")
    )
    edges = edges.cache()
    edges.count()
    ranks = spark.range(rows).select(F.col("id").alias("node"), F.lit(1.0).alias("rank"))
    times: list[float] = []
    previous = None
    for _ in range(steps):
        start = time.perf_counter()
        contributions = edges.join(ranks, edges["src"] == ranks["node"]).select(
            F.col("dst").alias("node"), (F.col("rank") * 0.85).alias("share")
        )
        ranks = (
            contributions.groupBy("node")
            .agg(F.sum("share").alias("share"))
            .select("node", (F.col("share") + 0.15).alias("rank"))
        )
        if cache:
            ranks = ranks.cache()
        ranks.count()
        if cache and previous is not None:
            previous.unpersist()
        previous = ranks
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--no-cache", action="store_true", help="recompute every step")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    times = run(args.remote, args.steps, args.rows, not args.no_cache)
    print(f"{'step':>4}  {'seconds':>8}")
    for i, t in enumerate(times, 1):
        print(f"{i:>4}  {t:8.3f}")
    head = times[1:4] if len(times) > 4 else times[:1]
    tail = times[-3:]
    ratio = (sum(tail) / len(tail)) / (sum(head) / len(head))
    print(f"last three steps / steps 2-4: {ratio:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            result = {
                "steps": times,
                "rows": args.rows,
                "cache": not args.no_cache,
                "slowdown": ratio,
            }
            json.dump(result, f, indent=2)
    # The client can hang at interpreter exit while its channel closes.
    os._exit(0)


if __name__ == "__main__":
    main()
