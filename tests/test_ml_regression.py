"""pyspark.ml regression: LinearRegression (normal equations, ridge, elastic net), its summary
and persistence. Expected values come from Apache Spark 4.1.1 on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkException
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import (
    GeneralizedLinearRegression,
    GeneralizedLinearRegressionModel,
    LinearRegression,
    LinearRegressionModel,
)
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


GLM_FITS = {
    # family: (label, coefficients, intercept, deviance, null deviance, dispersion, AIC,
    #          standard errors, p-values, iterations)
    "gaussian": (
        "pos",
        [0.303159, 0.851268],
        1.329157,
        (6.50552, 20.50126, 0.382677, 42.2959),
        ([0.13345, 0.14149, 0.37352], [0.03638, 1e-05, 0.00242]),
        1,
    ),
    "poisson": (
        "count",
        [0.126913, 0.23591],
        0.097859,
        (24.17406, 26.36669, 1.0, 73.6593),
        ([0.16035, 0.16695, 0.48229], [0.42868, 0.15763, 0.83921]),
        6,
    ),
    "binomial": (
        "bin",
        [0.138449, 0.089648],
        -0.362981,
        (27.61142, 27.72589, 1.0, 33.6114),
        ([0.43362, 0.45987, 1.21661], [0.74951, 0.84544, 0.76543]),
        3,
    ),
    "gamma": (
        "pos",
        [-0.034445, -0.090734],
        0.538837,
        (1.28183, 2.7599, 0.069622, 52.8078),
        ([0.01967, 0.02001, 0.062], [0.09793, 0.00029, 0.0]),
        5,
    ),
}


@pytest.fixture(scope="module")
def glm_data(spark: SparkSession) -> DataFrame:
    rows = []
    for i in range(20):
        x1 = (i * 7) % 11 / 3.0
        x2 = (i * 5) % 7 / 2.0
        positive = 1.0 + 0.2 * x1 + 0.5 * x2 + ((i * 13) % 7) / 3.0
        rows.append((float((i * 3) % 5), float(i % 2), positive, Vectors.dense([x1, x2])))
    return spark.createDataFrame(rows, ["count", "bin", "pos", "features"])


@pytest.mark.parametrize("family", list(GLM_FITS))
def test_generalized_linear_regression_matches_spark(glm_data: DataFrame, family: str) -> None:
    label, coefficients, intercept, fit_stats, tests, iterations = GLM_FITS[family]
    model = GeneralizedLinearRegression(family=family, labelCol=label).fit(glm_data)
    assert [round(c, 6) for c in model.coefficients] == coefficients
    assert round(model.intercept, 6) == intercept
    s = model.summary
    digits = (5, 5, 6, 4)
    got = (s.deviance, s.nullDeviance, s.dispersion, s.aic)
    assert tuple(round(v, d) for v, d in zip(got, digits, strict=True)) == fit_stats
    assert [round(e, 5) for e in s.coefficientStandardErrors] == tests[0]
    assert [round(p, 5) for p in s.pValues] == tests[1]
    assert (s.residualDegreeOfFreedom, s.numIterations) == (17, iterations)


def test_generalized_linear_regression_ridge_and_links(glm_data: DataFrame, tmp_path: Path) -> None:
    ridge = GeneralizedLinearRegression(family="poisson", labelCol="count", regParam=0.3)
    model = ridge.fit(glm_data)
    assert [round(c, 6) for c in model.coefficients] == [0.084263, 0.170956]
    assert round(model.intercept, 6) == 0.280215
    log_link = GeneralizedLinearRegression(family="gaussian", link="log", labelCol="pos")
    fitted = log_link.fit(glm_data)
    assert [round(c, 6) for c in fitted.coefficients] == [0.093758, 0.254511]
    model.write().overwrite().save(str(tmp_path / "glm"))
    loaded = GeneralizedLinearRegressionModel.load(str(tmp_path / "glm"))
    first = model.transform(glm_data).head().prediction
    assert loaded.transform(glm_data).head().prediction == first
    with pytest.raises(PySparkException):
        GeneralizedLinearRegression(family="poisson", labelCol="x1").fit(glm_data)
