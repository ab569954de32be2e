"""pyspark.ml over Spark Connect: feature pipelines, logistic regression, evaluators, save/load.

Expected values were taken from Apache Spark 4.1.1 running the same code.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from pyspark.errors import IllegalArgumentException, PySparkException
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression, LogisticRegressionModel
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import IndexToString, StringIndexer, VectorAssembler
from pyspark.ml.linalg import DenseVector
from pyspark.sql import DataFrame, SparkSession

PLANS = ["basic", "pro", "enterprise"]
REGIONS = ["north", "south", "east", "west"]


def churn_rows(n: int) -> list[tuple[int, str, str, int, float, int, float]]:
    """Deterministic customers whose churn depends on the features plus a term they miss."""
    rows = []
    for i in range(n):
        plan = PLANS[i % 3]
        region = REGIONS[(i * 7 + i // 5) % 4]
        tenure = (i * 37) % 60 + 1
        monthly = 20.0 + (i * 13) % 80 + (15.0 if plan == "enterprise" else 0.0)
        calls = (i * 11) % 7
        noise = ((i * 31) % 10 - 4.5) * 0.3
        score = 0.8 * calls - 0.05 * tenure + (1.0 if plan == "basic" else 0.0) + noise
        rows.append((i, plan, region, tenure, monthly, calls, 1.0 if score > 0.5 else 0.0))
    return rows


@pytest.fixture(scope="module")
def churn(spark: SparkSession) -> DataFrame:
    schema = (
        "id int, plan string, region string, tenure int, monthly double, calls int, churned double"
    )
    return spark.createDataFrame(churn_rows(300), schema)


def churn_pipeline() -> Pipeline:
    indexer = StringIndexer(inputCols=["plan", "region"], outputCols=["plan_idx", "region_idx"])
    assembler = VectorAssembler(
        inputCols=["tenure", "monthly", "calls", "plan_idx", "region_idx"], outputCol="features"
    )
    lr = LogisticRegression(labelCol="churned", maxIter=100, regParam=0.01)
    return Pipeline(stages=[indexer, assembler, lr])


SPARK_COEFFICIENTS = [
    -0.07208435659030021,
    0.006021593592054023,
    1.1741922808104117,
    -0.5399880838505265,
    -0.3818316968772954,
]
SPARK_INTERCEPT = 0.3217331289036598


@pytest.fixture(scope="module")
def churn_model(churn: DataFrame) -> PipelineModel:
    return churn_pipeline().fit(churn.filter("id % 4 != 0"))


def test_pipeline_fit_matches_spark(churn_model: PipelineModel) -> None:
    indexer, _, lr = churn_model.stages
    assert indexer.labelsArray == [
        ["basic", "enterprise", "pro"],
        ["north", "east", "south", "west"],
    ]
    assert isinstance(lr, LogisticRegressionModel)
    assert lr.numFeatures == 5
    assert lr.numClasses == 2
    assert lr.coefficients.toArray().tolist() == pytest.approx(SPARK_COEFFICIENTS, rel=1e-4)
    assert lr.intercept == pytest.approx(SPARK_INTERCEPT, rel=1e-4)


def test_training_summary(churn_model: PipelineModel) -> None:
    summary = churn_model.stages[-1].summary
    assert summary.accuracy == pytest.approx(0.8755555555555555)
    assert summary.areaUnderROC == pytest.approx(0.955688822255539, rel=1e-6)
    roc = summary.roc
    assert roc.columns == ["FPR", "TPR"]
    first, last = roc.head(), roc.orderBy("FPR", "TPR").collect()[-1]
    assert (first.FPR, first.TPR) == (0.0, 0.0)
    assert (last.FPR, last.TPR) == (1.0, 1.0)
    assert summary.totalIterations > 0
    assert len(summary.objectiveHistory) == summary.totalIterations + 1


def test_transform_schema_and_rows(churn: DataFrame, churn_model: PipelineModel) -> None:
    scored = churn_model.transform(churn.filter("id % 4 = 0"))
    assert [(f.name, f.dataType.simpleString()) for f in scored.schema.fields][-6:] == [
        ("plan_idx", "double"),
        ("region_idx", "double"),
        ("features", "vector"),
        ("rawPrediction", "vector"),
        ("probability", "vector"),
        ("prediction", "double"),
    ]
    rows = scored.orderBy("id").limit(2).collect()
    assert isinstance(rows[0].features, DenseVector)
    assert rows[0].features.toArray().tolist() == [1.0, 20.0, 0.0, 0.0, 0.0]
    assert rows[1].features.toArray().tolist() == [29.0, 72.0, 2.0, 2.0, 0.0]
    assert rows[0].probability.toArray().tolist() == pytest.approx(
        [0.40852153524011076, 0.5914784647598892], rel=1e-4
    )
    assert rows[0].rawPrediction[1] == pytest.approx(0.37008064415444003, rel=1e-3)
    assert [r.prediction for r in rows] == [1.0, 0.0]


def test_evaluators(churn: DataFrame, churn_model: PipelineModel) -> None:
    scored = churn_model.transform(churn.filter("id % 4 = 0"))
    binary = BinaryClassificationEvaluator(labelCol="churned")
    assert binary.evaluate(scored) == pytest.approx(0.9310850439882699, rel=1e-6)
    assert binary.setMetricName("areaUnderPR").evaluate(scored) == pytest.approx(
        0.9542134030348863, rel=1e-6
    )
    multi = MulticlassClassificationEvaluator(labelCol="churned")
    assert multi.evaluate(scored) == pytest.approx(0.84)
    assert multi.setMetricName("accuracy").evaluate(scored) == pytest.approx(0.84)


def test_save_and_load_in_a_new_session(
    churn: DataFrame, churn_model: PipelineModel, remote_url: str, tmp_path: Path
) -> None:
    path = str(tmp_path / "churn_model")
    churn_model.write().overwrite().save(path)
    assert (tmp_path / "churn_model" / "metadata").is_dir()
    stages = sorted(p.name for p in (tmp_path / "churn_model" / "stages").iterdir())
    assert [s.split("_")[0] for s in stages] == ["0", "1", "2"]
    with pytest.raises(Exception, match="PATH_ALREADY_EXISTS|already exists"):
        churn_model.save(path)

    other = SparkSession.builder.remote(remote_url).create()
    try:
        loaded = PipelineModel.load(path)
        assert [type(s).__name__ for s in loaded.stages] == [
            "StringIndexerModel",
            "VectorAssembler",
            "LogisticRegressionModel",
        ]
        assert loaded.stages[-1].coefficients.toArray().tolist() == pytest.approx(
            SPARK_COEFFICIENTS, rel=1e-4
        )
        test = churn.filter("id % 4 = 0")
        before = [r.prediction for r in churn_model.transform(test).orderBy("id").collect()]
        after = [r.prediction for r in loaded.transform(test).orderBy("id").collect()]
        assert after == before
    finally:
        other.stop()


def test_multinomial_logistic_regression(churn: DataFrame) -> None:
    labels = StringIndexer(inputCol="plan", outputCol="label")
    assembler = VectorAssembler(inputCols=["tenure", "monthly", "calls"], outputCol="features")
    lr = LogisticRegression(maxIter=100, regParam=0.1)
    back = IndexToString(inputCol="prediction", outputCol="predicted_plan")
    model = Pipeline(stages=[labels, assembler, lr]).fit(churn)
    fitted = model.stages[2]
    assert fitted.numClasses == 3
    expected = [
        [-0.0024253328072794808, -0.004877576768016776, -0.0017547368533992055],
        [0.0021618659120228815, 0.012820093261596284, 0.0012175140126061386],
        [0.00026346689525659955, -0.007942516493579507, 0.0005372228407930645],
    ]
    matrix = fitted.coefficientMatrix.toArray().tolist()
    for row, want in zip(matrix, expected, strict=True):
        assert row == pytest.approx(want, rel=1e-3, abs=1e-6)
    assert fitted.interceptVector.toArray().tolist() == pytest.approx(
        [0.41044468690749986, -0.919785759678236, 0.5093410727707361], rel=1e-3
    )
    scored = model.transform(churn)
    assert MulticlassClassificationEvaluator(metricName="accuracy").evaluate(scored) == (
        pytest.approx(0.39)
    )
    back.setLabels(model.stages[0].labels)
    predicted = [r.predicted_plan for r in back.transform(scored).orderBy("id").limit(5).collect()]
    assert predicted == ["pro", "pro", "basic", "pro", "enterprise"]


def test_string_indexer_handle_invalid(spark: SparkSession) -> None:
    indexer = StringIndexer(inputCol="plan", outputCol="p")
    model = indexer.fit(spark.createDataFrame([("a",), ("b",), ("b",)], ["plan"]))
    assert model.labels == ["b", "a"]
    unseen = spark.createDataFrame([("a",), ("c",)], ["plan"])
    with pytest.raises(PySparkException, match="Unseen label"):
        model.transform(unseen).collect()
    assert [r.p for r in model.setHandleInvalid("keep").transform(unseen).collect()] == [1.0, 2.0]
    assert [r.p for r in model.setHandleInvalid("skip").transform(unseen).collect()] == [1.0]


def test_string_indexer_order_types(spark: SparkSession) -> None:
    df = spark.createDataFrame([("b",), ("c",), ("c",), ("a",), ("a",), ("a",)], ["x"])
    orders = {
        "frequencyDesc": ["a", "c", "b"],
        "frequencyAsc": ["b", "c", "a"],
        "alphabetDesc": ["c", "b", "a"],
        "alphabetAsc": ["a", "b", "c"],
    }
    for order, labels in orders.items():
        indexer = StringIndexer(inputCol="x", outputCol="i", stringOrderType=order)
        assert indexer.fit(df).labels == labels, order


def test_vector_assembler_rejects_strings(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1.0)], ["s", "x"])
    with pytest.raises(IllegalArgumentException, match="s"):
        VectorAssembler(inputCols=["x", "s"], outputCol="f").transform(df).collect()


def test_vector_assembler_handle_invalid(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1.0, 2.0), (None, 3.0)], "a double, b double")
    assembler = VectorAssembler(inputCols=["a", "b"], outputCol="f")
    with pytest.raises(PySparkException):
        assembler.transform(df).collect()
    kept = assembler.setHandleInvalid("keep").transform(df).collect()
    assert [r.f.toArray().tolist()[1] for r in kept] == [2.0, 3.0]
    assert str(kept[1].f.toArray().tolist()[0]) == "nan"
    assert assembler.setHandleInvalid("skip").transform(df).count() == 1


def test_bad_params_raise_illegal_argument(churn: DataFrame) -> None:
    lr = LogisticRegression(labelCol="no_such_column")
    with pytest.raises(Exception, match="no_such_column"):
        VectorAssembler(inputCols=["tenure"], outputCol="features").transform(churn).transform(
            lr.fit
        )


def test_unknown_operator_is_named(churn: DataFrame) -> None:
    lr = LogisticRegression()
    lr._java_obj = "org.example.ml.NoSuchEstimator"
    with pytest.raises(PySparkException, match="org.example.ml.NoSuchEstimator"):
        lr.fit(churn)


def test_deleted_model_releases_and_others_work(churn: DataFrame) -> None:
    data = VectorAssembler(inputCols=["tenure", "calls"], outputCol="features").transform(churn)
    lr = LogisticRegression(labelCol="churned", maxIter=20)
    first = lr.fit(data)
    second = lr.fit(data)
    del first
    gc.collect()
    assert second.transform(data).count() == 300
    assert len(second.coefficients) == 2


def test_saved_layout_is_sparks(churn_model: PipelineModel, tmp_path: Path) -> None:
    import json

    import pyarrow.parquet as pq

    path = tmp_path / "layout"
    churn_model.write().save(str(path))
    stages = {p.name.split("_")[1]: p for p in (path / "stages").iterdir()}
    (meta_file,) = (stages["StringIndexer"] / "metadata").glob("part-*")
    indexer_meta = json.loads(meta_file.read_text())
    assert indexer_meta["class"] == "org.apache.spark.ml.feature.StringIndexerModel"
    assert indexer_meta["paramMap"] == {
        "inputCols": ["plan", "region"],
        "outputCols": ["plan_idx", "region_idx"],
    }
    assert indexer_meta["defaultParamMap"]["outputCol"] == indexer_meta["uid"] + "__output"
    assert indexer_meta["defaultParamMap"]["stringOrderType"] == "frequencyDesc"
    (data_file,) = (stages["LogisticRegression"] / "data").glob("*.parquet")
    footer = pq.read_metadata(data_file).metadata
    spark_schema = json.loads(footer[b"org.apache.spark.sql.parquet.row.metadata"])
    types = {f["name"]: f["type"] for f in spark_schema["fields"]}
    assert types["numClasses"] == "integer"
    assert types["interceptVector"]["class"] == "org.apache.spark.ml.linalg.VectorUDT"
    assert types["coefficientMatrix"]["class"] == "org.apache.spark.ml.linalg.MatrixUDT"
    row = pq.read_table(data_file).to_pylist()[0]
    assert row["coefficientMatrix"]["isTransposed"] is True
    assert (row["coefficientMatrix"]["numRows"], row["coefficientMatrix"]["numCols"]) == (1, 5)
