"""The pandas API on Spark (`pyspark.pandas`, `df.pandas_api()`), whose index comes from the
server's `distributed_sequence_id` and whose internal columns are named `__...__`."""

from __future__ import annotations

import pyspark.pandas as ps
from pyspark.sql import SparkSession


def test_pandas_api_gets_a_default_index(spark: SparkSession) -> None:
    psdf = spark.range(3).pandas_api()
    pdf = psdf.to_pandas()
    assert list(pdf.index) == [0, 1, 2]
    assert list(pdf["id"]) == [0, 1, 2]


def test_pandas_on_spark_sorts_groups_and_describes(spark: SparkSession) -> None:
    psdf = ps.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "z"]})
    ordered = psdf.sort_values("a", ascending=False).to_pandas()
    assert list(ordered["a"]) == [4, 3, 2, 1]
    assert list(ordered.index) == [3, 2, 1, 0]
    sums = psdf.groupby("b").sum().sort_index().to_pandas()
    assert sums["a"].to_dict() == {"x": 4, "y": 2, "z": 4}
    assert psdf["a"].mean() == 2.5
