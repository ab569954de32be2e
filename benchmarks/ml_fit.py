#!/usr/bin/env python3
"""Fit LogisticRegression and KMeans on 1 M rows x 20 features with Ember, Apache Spark
(local[2]) and scikit-learn, one after another on the same Parquet file, and print the times.

    benchmarks/ml_fit.py --ember sc://localhost:15010 --spark-python /path/to/python

`--ember` is a running Ember server (`ember server`, a release build for honest numbers);
`--spark-python` is an interpreter with the full `pyspark` 4.1.1 (it starts Spark itself) and,
for the scikit-learn column, `scikit-learn`. Each engine runs in its own process so none warms
another's caches. Every fit reads the Parquet file, assembles the feature vector and trains with
each library's defaults where they agree (LogisticRegression: no regularization, 100 iterations
at most; KMeans: k=8, k-means++ or k-means|| start, 20 iterations at most).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROWS = 1_000_000
FEATURES = 20
CLUSTERS = 8
COLUMNS = [f"f{i}" for i in range(FEATURES)]


def generate(path: Path) -> None:
    """Features around eight centers; the label a noisy linear rule of them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    centers = rng.normal(0.0, 4.0, size=(CLUSTERS, FEATURES))
    x = centers[rng.integers(0, CLUSTERS, ROWS)] + rng.normal(0.0, 1.0, size=(ROWS, FEATURES))
    w = rng.normal(0.0, 1.0, FEATURES)
    label = (x @ w + rng.normal(0.0, 2.0, ROWS) > 0).astype(np.float64)
    table = pa.table({**{c: x[:, i] for i, c in enumerate(COLUMNS)}, "label": label})
    pq.write_table(table, path, row_group_size=125_000)


def timed_spark(spark, path: str) -> dict[str, float]:  # noqa: ANN001 - either client's session
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler

    def frame():  # noqa: ANN202
        raw = spark.read.parquet(path)
        return VectorAssembler(inputCols=COLUMNS, outputCol="features").transform(raw)

    out: dict[str, float] = {}
    start = time.perf_counter()
    lr = LogisticRegression(maxIter=100).fit(frame())
    out["logistic_regression"] = time.perf_counter() - start
    out["lr_iterations"] = float(lr.summary.totalIterations)
    start = time.perf_counter()
    km = KMeans(k=CLUSTERS, maxIter=20, seed=1).fit(frame())
    out["kmeans"] = time.perf_counter() - start
    out["kmeans_cost"] = float(km.summary.trainingCost)
    return out


def run_ember(url: str, path: str) -> dict[str, float]:
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(url).getOrCreate()
    return timed_spark(spark, path)


def run_spark(path: str) -> dict[str, float]:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", "6g")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    return timed_spark(spark, path)


def run_sklearn(path: str) -> dict[str, float]:
    import pyarrow.parquet as pq
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression

    out: dict[str, float] = {}
    start = time.perf_counter()
    table = pq.read_table(path)
    x = table.select(COLUMNS).to_pandas().to_numpy()
    y = table.column("label").to_numpy()
    lr = LogisticRegression(penalty=None, max_iter=100).fit(x, y)
    out["logistic_regression"] = time.perf_counter() - start
    out["lr_iterations"] = float(lr.n_iter_[0])
    start = time.perf_counter()
    x = pq.read_table(path).select(COLUMNS).to_pandas().to_numpy()
    km = KMeans(n_clusters=CLUSTERS, max_iter=20, n_init=1, random_state=1).fit(x)
    out["kmeans"] = time.perf_counter() - start
    out["kmeans_cost"] = float(km.inertia_)
    return out


def worker(engine: str, path: str, url: str) -> None:
    """One engine's run, printed as JSON for the parent."""
    if engine == "ember":
        result = run_ember(url, path)
    elif engine == "spark":
        result = run_spark(path)
    else:
        result = run_sklearn(path)
    print("RESULT " + json.dumps(result), flush=True)
    # The Spark Connect client can wait forever at exit after ML calls; the result is out.
    os._exit(0)


def launch(python: str, engine: str, path: Path, url: str) -> dict[str, float] | str:
    command = [python, __file__, "--worker", engine, "--data", str(path), "--ember", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return (done.stderr.strip().splitlines() or ["no output"])[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ember", default="sc://localhost:15010")
    parser.add_argument("--spark-python", help="a Python with pyspark 4.1.1 and scikit-learn")
    parser.add_argument("--data", default="/tmp/ember-ml-bench/points.parquet")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", choices=["ember", "spark", "sklearn"])
    args = parser.parse_args()
    path = Path(args.data)
    if args.worker:
        worker(args.worker, str(path), args.ember)
        return 0
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path)
    engines = [("ember", sys.executable)]
    if args.spark_python:
        engines += [("spark", args.spark_python), ("sklearn", args.spark_python)]
    print(f"{ROWS:,} rows x {FEATURES} features, {path}")
    print(f"{'engine':<10} {'LogisticRegression s':>21} {'iters':>6} {'KMeans s':>9} {'cost':>14}")
    results: dict[str, dict[str, float] | str] = {}
    for engine, python in engines:
        result = launch(python, engine, path, args.ember)
        results[engine] = result
        if isinstance(result, str):
            print(f"{engine:<10} failed: {result}")
            continue
        print(
            f"{engine:<10} {result['logistic_regression']:>21.2f} "
            f"{int(result['lr_iterations']):>6} {result['kmeans']:>9.2f} "
            f"{result['kmeans_cost']:>14.1f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": ROWS, "features": FEATURES, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
