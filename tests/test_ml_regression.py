"""pyspark.ml regression: LinearRegression (normal equations, ridge, elastic net), its summary
and persistence. Expected values come from Apache Spark 4.1.1 on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import LinearRegression, LinearRegressionModel
from pyspark.sql import DataFrame, SparkSession


@pytest.fixture(scope="module")
def data(spark: SparkSession) -> DataFrame:
    rows = []
    for i in range(60):
        x1 = (i * 7) % 13 - 6.0
        x2 = (i * 3) % 11 * 0.5
        x3 = 1.0 if i % 4 == 0 else 0.0
        noise = ((i * 17) % 9 - 4) * 0.3
        y = 2.5 * x1 - 1.2 * x2 + 0.7 * x3 + 3.0 + noise
        rows.append((Vectors.dense([x1, x2, x3]), y, 1.0 + (i % 3)))
    return spark.createDataFrame(rows, ["features", "label", "w"])


FITS = {
    "ols": ({}, [2.5169234656948642, -1.2267798790445845, 0.5771567539137991], 3.128577977273431),
    "ridge": (
        {"regParam": 0.3},
        [2.441402792465488, -1.1973784603382214, 0.5236175004810643],
        3.0598598917037756,
    ),
    "ridge_unstandardized": (
        {"regParam": 0.3, "standardization": False},
        [2.5107868230610983, -1.215755443786085, 0.4970537527537422],
        3.1207756421622865,
    ),
    "elastic_net": (
        {"regParam": 0.3, "elasticNetParam": 0.5},
        [2.4370769211969074, -1.1355140948414097, 0.22125358449977414],
        2.9833063923960985,
    ),
    "weighted_lasso": (
        {"regParam": 0.1, "elasticNetParam": 1.0, "weightCol": "w"},
        [2.487347470803036, -1.1489544941820176, 0.3517944116141276],
        3.051093243443537,
    ),
    "no_intercept": (
        {"fitIntercept": False, "regParam": 0.1},
        [2.508059647218533, -0.4162762888836092, 2.0360825316831157],
        0.0,
    ),
}


@pytest.mark.parametrize("name", list(FITS))
def test_linear_regression_matches_spark(data: DataFrame, name: str) -> None:
    params, coefficients, intercept = FITS[name]
    model = LinearRegression(**params).fit(data)
    assert model.coefficients.toArray().tolist() == pytest.approx(coefficients, rel=1e-4)
    assert model.intercept == pytest.approx(intercept, rel=1e-4, abs=1e-9)


def test_linear_regression_summary(data: DataFrame) -> None:
    summary = LinearRegression().fit(data).summary
    assert summary.r2 == pytest.approx(0.9936489659917768, rel=1e-6)
    assert summary.rootMeanSquaredError == pytest.approx(0.7742003787289066, rel=1e-6)
    assert summary.meanSquaredError == pytest.approx(0.5993862264239824, rel=1e-6)
    assert summary.meanAbsoluteError == pytest.approx(0.6751121102640741, rel=1e-6)
    assert summary.explainedVariance == pytest.approx(93.7767776624649, rel=1e-6)
    assert summary.r2adj == pytest.approx(0.9933087320270505, rel=1e-6)
    assert (summary.numInstances, summary.degreesOfFreedom) == (60, 56)
    residuals = [r.residuals for r in summary.residuals.limit(3).collect()]
    assert residuals == pytest.approx(
        [-1.1041939370180458, 1.094668375598582, 0.9363789883346438], rel=1e-6
    )


def test_linear_regression_save_load_predict(data: DataFrame, tmp_path: Path) -> None:
    model = LinearRegression(regParam=0.3).fit(data)
    path = str(tmp_path / "linear")
    model.save(path)
    loaded = LinearRegressionModel.load(path)
    assert loaded.coefficients == model.coefficients
    assert loaded.predict(Vectors.dense([1.0, 2.0, 0.0])) == pytest.approx(3.106505763492821)
    scored = loaded.transform(data)
    assert scored.columns == ["features", "label", "w", "prediction"]
    r2 = RegressionEvaluator(metricName="r2").evaluate(scored)
    assert r2 == pytest.approx(0.9927703315747622, rel=1e-6)
