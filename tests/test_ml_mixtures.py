"""pyspark.ml BisectingKMeans and GaussianMixture. Expected values come from Apache Spark 4.1.1
on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkException
from pyspark.ml.clustering import (
    BisectingKMeans,
    BisectingKMeansModel,
    GaussianMixture,
    GaussianMixtureModel,
)
from pyspark.ml.linalg import DenseMatrix, Vectors
from pyspark.sql import DataFrame, SparkSession

SPREAD = [
    [0.0, 0.0],
    [0.5, 0.2],
    [0.1, 0.6],
    [5.0, 5.0],
    [5.4, 5.1],
    [5.2, 4.7],
    [9.0, 0.0],
    [9.3, 0.4],
    [8.8, 0.2],
    [9.1, 9.0],
    [9.6, 9.2],
]

BLOBS = [
    [0.0, 0.0],
    [1.0, 0.5],
    [0.5, 1.2],
    [-0.4, 0.8],
    [0.9, -0.6],
    [-0.7, -0.3],
    [10.0, 10.0],
    [11.0, 9.5],
    [10.4, 11.1],
    [9.3, 10.6],
]


def rounded(values: list[float], digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in values]


@pytest.fixture(scope="module")
def spread(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(Vectors.dense(r),) for r in SPREAD], ["features"])


@pytest.fixture(scope="module")
def blobs(spark: SparkSession) -> DataFrame:
    rows = [(Vectors.dense(r), 1.0 + (i % 2)) for i, r in enumerate(BLOBS)]
    return spark.createDataFrame(rows, ["features", "w"])


def test_bisecting_kmeans_weighted_and_saved(spark: SparkSession, tmp_path: Path) -> None:
    rows = [([0.0, 0.0], 2.0), ([1.0, 1.0], 2.0), ([9.0, 8.0], 2.0), ([8.0, 9.0], 2.0)]
    df = spark.createDataFrame([(Vectors.dense(x), w) for x, w in rows], ["features", "weight"])
    model = BisectingKMeans(k=2, minDivisibleClusterSize=1.0, weightCol="weight").fit(df)
    assert [list(c) for c in model.clusterCenters()] == [[0.5, 0.5], [8.5, 8.5]]
    # The cost of new data ignores weights; the training cost counts them.
    assert model.computeCost(df) == pytest.approx(2.0)
    summary = model.summary
    assert summary.trainingCost == pytest.approx(4.0)
    assert (summary.k, summary.clusterSizes, summary.numIter) == (2, [2, 2], 20)
    assert [r.prediction for r in model.transform(df).collect()] == [0, 0, 1, 1]
    assert str(model).endswith("k=2, distanceMeasure=euclidean, numFeatures=2")
    model.save(str(tmp_path / "bkm"))
    loaded = BisectingKMeansModel.load(str(tmp_path / "bkm"))
    assert not loaded.hasSummary
    assert [list(c) for c in loaded.clusterCenters()] == [[0.5, 0.5], [8.5, 8.5]]
    assert loaded.predict(Vectors.dense([8.9, 8.1])) == 1
    assert model.transform(df).collect() == loaded.transform(df).collect()


def test_bisecting_kmeans_splits_level_by_level(spread: DataFrame) -> None:
    model = BisectingKMeans(k=4, seed=3).fit(spread)
    centers = [rounded(list(c)) for c in model.clusterCenters()]
    assert centers == [[0.2, 0.266667], [5.2, 4.933333], [9.033333, 0.2], [9.35, 9.1]]
    predictions = [r.prediction for r in model.transform(spread).collect()]
    assert predictions == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]
    assert model.summary.clusterSizes == [3, 3, 3, 2]
    assert model.summary.trainingCost == pytest.approx(0.845)


def test_bisecting_kmeans_cosine_and_small_clusters(spark: SparkSession, spread: DataFrame) -> None:
    nonzero = spark.createDataFrame([(Vectors.dense(r),) for r in SPREAD[1:]], ["features"])
    cosine = BisectingKMeans(k=3, distanceMeasure="cosine", seed=3).fit(nonzero)
    centers = [rounded(list(c)) for c in cosine.clusterCenters()]
    assert centers == [[0.721913, 0.691984], [0.164399, 0.986394], [0.993864, 0.110611]]
    assert cosine.summary.trainingCost == pytest.approx(0.0492604961510934)
    # Clusters under four points are not split: four leaves though five were asked for.
    small = BisectingKMeans(k=5, minDivisibleClusterSize=4.0).fit(spread)
    assert len(small.clusterCenters()) == 4
    assert small.summary.clusterSizes == [3, 3, 3, 2, 0]


def test_clustering_rejects_bad_params(spread: DataFrame) -> None:
    for estimator in (BisectingKMeans(k=1), GaussianMixture(k=1)):
        with pytest.raises(PySparkException, match="parameter k given invalid value 1"):
            estimator.fit(spread)
    with pytest.raises(PySparkException, match="zero-length vectors"):
        BisectingKMeans(k=2, distanceMeasure="cosine").fit(spread)


def components(model: GaussianMixtureModel) -> list[tuple[list[float], list[float], float]]:
    rows = model.gaussiansDF.collect()
    found = [
        (rounded(list(r.mean)), rounded(list(r.cov.toArray().ravel())), round(w, 6))
        for r, w in zip(rows, model.weights, strict=True)
    ]
    return sorted(found)


def test_gaussian_mixture_finds_the_two_blobs(blobs: DataFrame) -> None:
    model = GaussianMixture(k=2, seed=1, tol=1e-6).fit(blobs)
    assert components(model) == [
        ([0.216667, 0.266667], [0.404722, 0.017222, 0.017222, 0.392222], 0.6),
        ([10.175, 10.3], [0.381875, -0.1725, -0.1725, 0.365], 0.4),
    ]
    summary = model.summary
    assert summary.logLikelihood == pytest.approx(-25.160511, abs=1e-5)
    assert sorted(summary.clusterSizes) == [4, 6]
    assert summary.k == 2 and summary.probabilityCol == "probability"
    assert summary.probability.columns == ["probability"]
    transformed = model.transform(blobs)
    assert transformed.columns == ["features", "w", "probability", "prediction"]
    assert dict(transformed.dtypes)["prediction"] == "int"


def test_gaussian_mixture_weighted_predicts_and_saves(blobs: DataFrame, tmp_path: Path) -> None:
    model = GaussianMixture(k=2, seed=1, tol=1e-6, weightCol="w").fit(blobs)
    assert components(model) == [
        ([0.133333, 0.288889], [0.466667, 0.054815, 0.054815, 0.334321], 0.6),
        ([10.166667, 10.216667], [0.495556, -0.269444, -0.269444, 0.358056], 0.4),
    ]
    assert model.summary.logLikelihood == pytest.approx(-37.449679, abs=1e-5)
    near = model.predict(Vectors.dense([0.2, 0.1]))
    far = model.predict(Vectors.dense([10.2, 10.1]))
    assert near != far
    probability = model.predictProbability(Vectors.dense([0.2, 0.1]))
    assert probability[near] == pytest.approx(1.0)
    assert probability[far] == pytest.approx(9.694565549452065e-16, rel=1e-3)
    cov = model.gaussiansDF.head().cov
    assert isinstance(cov.asML(), DenseMatrix) and not cov.isTransposed
    model.save(str(tmp_path / "gmm"))
    loaded = GaussianMixtureModel.load(str(tmp_path / "gmm"))
    assert not loaded.hasSummary
    assert loaded.weights == model.weights
    assert components(loaded) == components(model)
    assert loaded.transform(blobs).collect() == model.transform(blobs).collect()
