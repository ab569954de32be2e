"""pyspark.ml trees, ensembles, naive Bayes, linear SVM, clustering and isotonic regression.
Expected values come from Apache Spark 4.1.1 on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkException
from pyspark.ml.classification import (
    DecisionTreeClassificationModel,
    DecisionTreeClassifier,
    GBTClassifier,
    LinearSVC,
    LinearSVCModel,
    LogisticRegression,
    NaiveBayes,
    NaiveBayesModel,
    OneVsRest,
    OneVsRestModel,
    RandomForestClassificationModel,
    RandomForestClassifier,
)
from pyspark.ml.clustering import KMeans, KMeansModel, PowerIterationClustering
from pyspark.ml.evaluation import ClusteringEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import (
    DecisionTreeRegressor,
    GBTRegressionModel,
    GBTRegressor,
    IsotonicRegression,
    IsotonicRegressionModel,
)
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

TREE = (
    "  If (feature 0 <= 2.5)\n   Predict: 0.0\n  Else (feature 0 > 2.5)\n"
    "   If (feature 0 <= 4.5)\n    Predict: 1.0\n   Else (feature 0 > 4.5)\n    Predict: 2.0\n"
)


@pytest.fixture(scope="module")
def classes(spark: SparkSession) -> DataFrame:
    rows = [
        (0.0, [1.0, 5.0]),
        (0.0, [2.0, 4.0]),
        (1.0, [3.0, 1.0]),
        (1.0, [4.0, 2.0]),
        (2.0, [5.0, 9.0]),
        (2.0, [6.0, 8.0]),
        (1.0, [3.5, 7.0]),
    ]
    return spark.createDataFrame([(y, Vectors.dense(x)) for y, x in rows], ["label", "features"])


@pytest.fixture(scope="module")
def values(spark: SparkSession) -> DataFrame:
    rows = [(1.0, [1.0, 0.0]), (2.0, [2.0, 1.0]), (3.0, [3.0, 0.0])]
    rows += [(7.0, [4.0, 1.0]), (8.0, [5.0, 0.0]), (9.5, [6.0, 1.0])]
    return spark.createDataFrame([(y, Vectors.dense(x)) for y, x in rows], ["label", "features"])


def test_decision_tree_classifier(classes: DataFrame, tmp_path: Path) -> None:
    model = DecisionTreeClassifier(maxDepth=3).fit(classes)
    assert (model.numNodes, model.depth, model.numClasses) == (5, 2, 3)
    assert list(model.featureImportances.toArray()) == [1.0, 0.0]
    assert model.toDebugString.split("\n", 1)[1] == TREE
    rows = model.transform(classes).collect()
    assert [r.prediction for r in rows] == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 1.0]
    assert list(rows[2].probability) == [0.0, 1.0, 0.0]
    entropy = DecisionTreeClassifier(maxDepth=2, impurity="entropy").fit(classes)
    assert entropy.toDebugString.split("\n", 1)[1] == TREE
    model.write().overwrite().save(str(tmp_path / "dtc"))
    loaded = DecisionTreeClassificationModel.load(str(tmp_path / "dtc"))
    assert loaded.numNodes == 5
    assert [r.prediction for r in loaded.transform(classes).collect()][4] == 2.0


def test_decision_tree_regressor_variance(values: DataFrame) -> None:
    model = DecisionTreeRegressor(maxDepth=2, varianceCol="var").fit(values)
    assert model.numNodes == 7
    assert list(model.featureImportances.toArray()) == [1.0, 0.0]
    rows = model.transform(values).collect()
    assert [(r.prediction, round(r.var, 9)) for r in rows] == [
        (1.0, 0.0),
        (2.5, 0.25),
        (2.5, 0.25),
        (7.5, 0.25),
        (7.5, 0.25),
        (9.5, 0.0),
    ]


def test_bad_impurity_is_an_error(classes: DataFrame) -> None:
    with pytest.raises(PySparkException):
        DecisionTreeClassifier(impurity="variance").fit(classes)


def test_gradient_boosting(values: DataFrame, classes: DataFrame, tmp_path: Path) -> None:
    model = GBTRegressor(maxIter=4, maxDepth=2, stepSize=0.3).fit(values)
    assert model.treeWeights == [1.0, 0.3, 0.3, 0.3]
    predictions = [round(r.prediction, 9) for r in model.transform(values).collect()]
    assert predictions == [1.0, 2.032, 2.968, 7.032, 7.968, 9.5]
    errors = model.evaluateEachIteration(values, "squared")
    assert [round(e, 9) for e in errors] == [0.166666667, 0.026666667, 0.004266667, 0.000682667]
    model.write().overwrite().save(str(tmp_path / "gbtr"))
    loaded = GBTRegressionModel.load(str(tmp_path / "gbtr"))
    assert loaded.treeWeights == model.treeWeights
    assert round(loaded.transform(values).collect()[1].prediction, 9) == 2.032
    absolute = GBTRegressor(maxIter=3, maxDepth=1, lossType="absolute").fit(values)
    assert [round(r.prediction, 9) for r in absolute.transform(values).collect()][3] == 8.126666667
    binary = classes.filter("label < 2")
    classifier = GBTClassifier(maxIter=3, maxDepth=1).fit(binary)
    probability = [round(x, 8) for x in classifier.transform(binary).collect()[0].probability]
    assert probability == [0.89871258, 0.10128742]
    assert len(classifier.trees) == 3


def test_random_forest(classes: DataFrame, tmp_path: Path) -> None:
    model = RandomForestClassifier(numTrees=5, maxDepth=3, seed=7).fit(classes)
    assert (model.getNumTrees, len(model.trees), model.numClasses) == (5, 5, 3)
    assert model.treeWeights == [1.0] * 5
    model.write().overwrite().save(str(tmp_path / "rfc"))
    loaded = RandomForestClassificationModel.load(str(tmp_path / "rfc"))
    rows = model.transform(classes).collect()
    assert [r.prediction for r in loaded.transform(classes).collect()] == [
        r.prediction for r in rows
    ]


def test_kmeans_and_silhouette(spark: SparkSession, tmp_path: Path) -> None:
    points = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [9.0, 8.0], [8.0, 9.0], [9.0, 9.0]]
    df = spark.createDataFrame([(Vectors.dense(p),) for p in points], ["features"])
    model = KMeans(k=2, seed=1).fit(df)
    centers = sorted([round(x, 9) for x in c] for c in model.clusterCenters())
    assert centers == [[0.333333333, 0.666666667], [8.666666667, 8.666666667]]
    assert round(model.summary.trainingCost, 9) == 2.666666667
    assert sorted(model.summary.clusterSizes) == [3, 3]
    predictions = model.transform(df)
    assert round(ClusteringEvaluator().evaluate(predictions), 9) == 0.989955949
    model.write().overwrite().save(str(tmp_path / "km"))
    loaded = KMeansModel.load(str(tmp_path / "km"))
    assert not loaded.hasSummary
    assert loaded.predict(Vectors.dense([8.5, 8.5])) == model.predict(Vectors.dense([9.0, 9.0]))


def test_power_iteration_clustering(spark: SparkSession) -> None:
    edges = [(1, 0, 0.5), (2, 0, 0.5), (2, 1, 0.7), (3, 0, 0.5), (3, 1, 0.7), (3, 2, 0.9)]
    edges += [(4, 0, 0.5), (4, 1, 0.7), (4, 2, 0.9), (4, 3, 1.1)]
    edges += [(5, 0, 0.5), (5, 1, 0.7), (5, 2, 0.9), (5, 3, 1.1), (5, 4, 1.3)]
    df = spark.createDataFrame(edges, ["src", "dst", "weight"]).repartition(1)
    pic = PowerIterationClustering(k=2, weightCol="weight", maxIter=40)
    rows = pic.assignClusters(df).sort("id").collect()
    assert [(r.id, r.cluster) for r in rows] == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 1)]


def test_isotonic_regression(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(1.0, 1.0), (3.0, 2.0), (2.0, 3.0), (4.0, 4.0), (3.5, 5.0)], ["label", "x"]
    )
    model = IsotonicRegression(featuresCol="x").fit(df)
    assert list(model.boundaries) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(model.predictions) == [1.0, 2.5, 2.5, 3.75, 3.75]
    test = spark.createDataFrame([(0.0,), (2.5,), (9.0,)], ["x"])
    assert [r.prediction for r in model.transform(test).collect()] == [1.0, 2.5, 3.75]
    antitonic = IsotonicRegression(featuresCol="x", isotonic=False).fit(df)
    assert (list(antitonic.boundaries), list(antitonic.predictions)) == ([1.0, 5.0], [2.7, 2.7])
    model.write().overwrite().save(str(tmp_path / "iso"))
    loaded = IsotonicRegressionModel.load(str(tmp_path / "iso"))
    assert list(loaded.predictions) == list(model.predictions)


def test_naive_bayes(spark: SparkSession, tmp_path: Path) -> None:
    rows = [(0.0, [1.0, 0.0, 2.0]), (0.0, [2.0, 1.0, 0.0]), (1.0, [0.0, 3.0, 1.0])]
    rows += [(1.0, [0.0, 2.0, 4.0]), (2.0, [5.0, 0.0, 0.0])]
    df = spark.createDataFrame([(y, Vectors.dense(x)) for y, x in rows], ["label", "features"])
    model = NaiveBayes(smoothing=0.5).fit(df)
    assert [round(x, 9) for x in model.pi] == [-0.955511445, -0.955511445, -1.466337069]
    assert [round(x, 9) for x in model.theta.toArray()[0]] == [
        -0.762140052,
        -1.609437912,
        -1.098612289,
    ]
    scored = model.transform(df).collect()
    assert [r.prediction for r in scored] == [0.0, 0.0, 1.0, 1.0, 2.0]
    assert [round(x, 9) for x in scored[1].probability] == [0.561973074, 0.011664903, 0.426362023]
    gaussian = NaiveBayes(modelType="gaussian").fit(df)
    assert [round(x, 9) for x in gaussian.pi] == [-0.916290732, -0.916290732, -1.609437912]
    assert list(gaussian.theta.toArray()[1]) == [0.0, 2.5, 2.5]
    model.write().overwrite().save(str(tmp_path / "nb"))
    loaded = NaiveBayesModel.load(str(tmp_path / "nb"))
    assert [r.prediction for r in loaded.transform(df).collect()] == [0.0, 0.0, 1.0, 1.0, 2.0]
    binary = spark.createDataFrame(
        [
            (0.0, Vectors.dense([1.0, 0.0])),
            (0.0, Vectors.dense([1.0, 1.0])),
            (1.0, Vectors.dense([0.0, 1.0])),
        ],
        ["label", "features"],
    )
    bernoulli = NaiveBayes(modelType="bernoulli").fit(binary)
    raw = bernoulli.transform(binary).collect()[0].rawPrediction
    assert [round(x, 9) for x in raw] == [-1.491654877, -3.113515309]
    with pytest.raises(PySparkException):
        NaiveBayes(modelType="bernoulli").fit(df)


def _svm_rows() -> list[tuple[float, list[float]]]:
    rows = []
    for i in range(40):
        x1, x2, x3 = ((i * 7) % 13) / 4.0, ((i * 5) % 11) / 3.0, (i % 3) * 1.0
        noisy = x1 - 0.8 * x2 + 0.3 * x3 + ((i * 17) % 5 - 2) * 0.4
        rows.append((1.0 if noisy > 0.5 else 0.0, [x1, x2, x3]))
    return rows


def _svm_objective(rows: list[tuple[float, list[float]]], beta: list[float], b: float) -> float:
    n = len(rows)
    hinge = sum(
        max(0.0, 1 - (2 * y - 1) * (sum(c * v for c, v in zip(beta, x, strict=True)) + b))
        for y, x in rows
    )
    deviations = []
    for j in range(3):
        mean = sum(x[j] for _, x in rows) / n
        deviations.append((sum((x[j] - mean) ** 2 for _, x in rows) / (n - 1)) ** 0.5)
    penalty = sum((c * s) ** 2 for c, s in zip(beta, deviations, strict=True))
    return hinge / n + 0.5 * 0.1 * penalty


def test_linear_svc_reaches_sparks_optimum(spark: SparkSession, tmp_path: Path) -> None:
    rows = _svm_rows()
    df = spark.createDataFrame([(y, Vectors.dense(x)) for y, x in rows], ["label", "features"])
    model = LinearSVC(regParam=0.1).fit(df)
    # Spark 4.1.1 stops at these coefficients; the hinge loss is not smooth, so a solver may
    # stop elsewhere, but never at a worse objective, and it classifies the same way.
    spark_beta, spark_intercept = [1.1817, -0.48, -0.0492], -0.945
    ours = _svm_objective(rows, list(model.coefficients), model.intercept)
    assert ours <= _svm_objective(rows, spark_beta, spark_intercept) + 1e-4
    predictions = [r.prediction for r in model.transform(df).collect()]
    expected = [
        1.0 if sum(c * v for c, v in zip(spark_beta, x, strict=True)) + spark_intercept > 0 else 0.0
        for _, x in rows
    ]
    assert predictions == expected
    raw = model.transform(df).head().rawPrediction
    assert raw[0] == -raw[1]
    model.write().overwrite().save(str(tmp_path / "svc"))
    loaded = LinearSVCModel.load(str(tmp_path / "svc"))
    assert list(loaded.coefficients) == list(model.coefficients)
    with pytest.raises(PySparkException):
        LinearSVC().fit(df.selectExpr("label * 3 AS label", "features"))


def test_one_vs_rest_and_cross_validation(spark: SparkSession, tmp_path: Path) -> None:
    # Both run in the client on top of unwrap_udt, Spark's internal array_binary_search and
    # aggregate over structs whose field names differ from the zero's.
    rows = [
        (float(i % 3), Vectors.dense([i % 3 + (i % 5) * 0.1, (i * 7) % 4 * 0.2 + i % 3]))
        for i in range(30)
    ]
    df = spark.createDataFrame(rows, ["label", "features"])
    model = OneVsRest(classifier=LogisticRegression(maxIter=20)).fit(df)
    assert [r.prediction for r in model.transform(df).collect()] == [r[0] for r in rows]
    model.write().overwrite().save(str(tmp_path / "ovr"))
    assert len(OneVsRestModel.load(str(tmp_path / "ovr")).models) == 3
    grid = ParamGridBuilder().addGrid(LogisticRegression.regParam, [0.0, 0.5]).build()
    cv = CrossValidator(
        estimator=LogisticRegression(maxIter=10),
        estimatorParamMaps=grid,
        evaluator=MulticlassClassificationEvaluator(),
        numFolds=2,
        seed=1,
    ).fit(df)
    assert len(cv.avgMetrics) == 2
    assert max(cv.avgMetrics) == 1.0
    unwrapped = df.select(sf.unwrap_udt("features").alias("u")).schema["u"].dataType
    assert [f.name for f in unwrapped.fields] == ["type", "size", "indices", "values"]
