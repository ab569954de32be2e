"""`df.explain(mode)` in Spark's layout: every mode answers with Spark's section headers, the
physical plan is a tree with Spark's connectors, `formatted` numbers the operators and details
each one, and after an action it shows that run's metrics."""

from __future__ import annotations

import os
import re

import pytest
from helpers import REMOTE_ENV
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def explained(frame: DataFrame, mode: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    frame.explain(mode=mode)
    return capsys.readouterr().out


def grouped(spark: SparkSession) -> DataFrame:
    return (
        spark.range(100)
        .withColumn("k", F.col("id") % 3)
        .groupBy("k")
        .agg(F.sum("id").alias("s"))
        .filter("s > 10")
    )


def test_simple_is_the_physical_plan_as_a_tree(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    text = explained(grouped(spark), "simple", capsys)
    assert text.startswith("== Physical Plan ==\n")
    assert "== Optimized Logical Plan ==" not in text
    lines = text.strip().splitlines()[1:]
    assert len(lines) > 2
    # Below the root, every operator hangs from its parent with `+- ` (or `:- `).
    assert all(re.match(r"^(\s|:)*(\+- |:- )", line) for line in lines[1:])


def test_extended_and_cost_show_the_logical_plans(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    extended = explained(grouped(spark), "extended", capsys)
    headers = [line for line in extended.splitlines() if line.startswith("== ")]
    assert headers == [
        "== Parsed Logical Plan ==",
        "== Analyzed Logical Plan ==",
        "== Optimized Logical Plan ==",
        "== Physical Plan ==",
    ]
    cost = explained(grouped(spark), "cost", capsys)
    assert "== Optimized Logical Plan ==" in cost and "== Physical Plan ==" in cost
    assert "Statistics(sizeInBytes=" in cost


def test_codegen_reports_its_subtrees(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    text = explained(grouped(spark), "codegen", capsys)
    assert re.match(r"^Found \d+ WholeStageCodegen subtrees\.", text)


def test_formatted_numbers_and_details_each_operator(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    text = explained(grouped(spark), "formatted", capsys)
    assert text.startswith("== Physical Plan ==\n")
    tree_end = text.index("\n\n")
    numbers = re.findall(r"\((\d+)\)", text[:tree_end])
    assert sorted(int(n) for n in numbers) == list(range(1, len(numbers) + 1))
    for number in numbers:
        section = re.search(rf"\n\({number}\) \S+.*\n(Output|Input) \[\d+\]: \[", text)
        assert section, f"no section for operator ({number})"
    assert "Arguments:" in text or "Condition" in text


@pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)),
    reason="metrics of the last run in explain are Ember's, not Spark's",
)
def test_formatted_after_an_action_shows_that_runs_metrics(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = spark.range(1000).filter("id % 4 = 0").select((F.col("id") * 2).alias("x"))
    before = explained(frame, "formatted", capsys)
    assert "Metrics:" not in before
    assert frame.count() == 250
    frame.collect()
    after = explained(frame, "formatted", capsys)
    assert "output_rows=250" in after
