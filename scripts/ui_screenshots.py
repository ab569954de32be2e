#!/usr/bin/env python3
"""Open Ember's web UI in headless Chromium: check that a query, its plan and its metrics
appear on the rendered pages, and save screenshots.

    .venv/bin/python scripts/ui_screenshots.py [--out docs] [--browser chromium]

Starts a server of its own (with its UI on a free port), runs a few queries, then renders the
query list and one query's page with the browser's `--dump-dom` (after the page's script ran)
and `--screenshot`. Exits 1 when a page lacks what it should show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

WINDOW = "1400,1000"
# Lets the page's script fetch the API and draw before the DOM is dumped.
SCRIPT_TIME_MS = "4000"


def browser_command(browser: str, profile: str) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW}",
        f"--virtual-time-budget={SCRIPT_TIME_MS}",
    ]


def rendered(browser: str, url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [*browser_command(browser, profile), "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def screenshot(browser: str, url: str, path: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [*browser_command(browser, profile), f"--screenshot={path}", url],
            capture_output=True,
            timeout=120,
            check=True,
        )


def run_queries(spark: SparkSession) -> None:
    orders = spark.range(0, 200_000).select(
        (F.col("id") % 1000).alias("customer"), (F.col("id") % 97).alias("amount")
    )
    customers = spark.range(0, 1000).select(
        F.col("id").alias("customer"), (F.col("id") % 7).alias("region")
    )
    orders.createOrReplaceTempView("orders")
    customers.createOrReplaceTempView("customers")
    spark.sql(
        "SELECT c.region, count(*) AS orders, sum(o.amount) AS total "
        "FROM orders o JOIN customers c ON o.customer = c.customer "
        "WHERE o.amount > 10 GROUP BY c.region ORDER BY c.region"
    ).collect()
    orders.groupBy("customer").agg(F.avg("amount")).filter("customer < 10").collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--browser", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()

    from ember import server

    port = server.start_server(ui_port=0)
    ui = server.ui_url(port)
    if ui is None:
        print("the server started without its UI", file=sys.stderr)
        return 1
    spark = SparkSession.builder.remote(server.remote_url(port)).create()
    failures: list[str] = []
    try:
        run_queries(spark)
        app = json.load(urllib.request.urlopen(f"{ui}/api/v1/applications"))[0]["id"]
        queries = json.load(
            urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/sql?details=false")
        )
        joined = next(q for q in queries if "JOIN customers" in q["description"])

        listing = rendered(args.browser, f"{ui}/#/queries")
        for expected in ("JOIN customers", "COMPLETED", "Filter: customer"):
            if expected not in listing:
                failures.append(f"the query list does not show {expected!r}")
        detail = rendered(args.browser, f"{ui}/#/query/{joined['id']}")
        for expected in ("HashJoinExec", "output_rows", "Stages", "Physical plan"):
            if expected not in detail:
                failures.append(f"the query page does not show {expected!r}")

        args.out.mkdir(parents=True, exist_ok=True)
        screenshot(args.browser, f"{ui}/#/queries", args.out / "ui-queries.png")
        screenshot(args.browser, f"{ui}/#/query/{joined['id']}", args.out / "ui-query.png")
    finally:
        spark.stop()
        server.stop_server(port)
    for failure in failures:
        print(failure, file=sys.stderr)
    if not failures:
        print(f"pages checked; screenshots in {args.out}/ui-queries.png and ui-query.png")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
