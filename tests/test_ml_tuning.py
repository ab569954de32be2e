"""pyspark.ml tuning over Spark Connect: TrainValidationSplit picks the best of a param grid
and saves the winner. Expected values come from Apache Spark 4.1.1 on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import LinearRegression
from pyspark.ml.tuning import ParamGridBuilder, TrainValidationSplit, TrainValidationSplitModel
from pyspark.sql import SparkSession


def test_train_validation_split_picks_the_unregularized_fit(
    spark: SparkSession, tmp_path: Path
) -> None:
    # An exact line: any shrinkage only hurts, so regParam 0 must win on every split.
    rows = [(2.0 * x + 1.0, Vectors.dense([x])) for x in range(40)]
    df = spark.createDataFrame(rows, ["label", "features"])
    lr = LinearRegression()
    grid = ParamGridBuilder().addGrid(lr.regParam, [10.0, 0.0]).build()
    tvs = TrainValidationSplit(
        estimator=lr,
        estimatorParamMaps=grid,
        evaluator=RegressionEvaluator(metricName="rmse"),
        trainRatio=0.75,
        seed=42,
    )
    model = tvs.fit(df)
    assert len(model.validationMetrics) == 2
    assert model.validationMetrics[1] < model.validationMetrics[0]
    assert model.validationMetrics[1] == pytest.approx(0.0, abs=1e-6)
    best = model.bestModel
    assert best.getRegParam() == 0.0
    assert best.coefficients[0] == pytest.approx(2.0)
    assert best.intercept == pytest.approx(1.0)
    model.save(str(tmp_path / "tvs"))
    loaded = TrainValidationSplitModel.load(str(tmp_path / "tvs"))
    assert loaded.bestModel.coefficients[0] == pytest.approx(2.0)
    assert (
        loaded.transform(df).select("prediction").collect()
        == best.transform(df).select("prediction").collect()
    )
