"""pyspark.ml text features, hashing, selectors, indexers and RFormula. Expected values come
from Apache Spark 4.1.1 on the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkException
from pyspark.ml.feature import (
    DCT,
    ChiSqSelector,
    CountVectorizer,
    CountVectorizerModel,
    FeatureHasher,
    Interaction,
    NGram,
    QuantileDiscretizer,
    RFormula,
    RFormulaModel,
    RobustScaler,
    SQLTransformer,
    StopWordsRemover,
    UnivariateFeatureSelector,
    UnivariateFeatureSelectorModel,
    VarianceThresholdSelector,
    VectorIndexer,
    VectorIndexerModel,
)
from pyspark.ml.linalg import Vectors
from pyspark.sql import DataFrame, SparkSession


@pytest.fixture(scope="module")
def words(spark: SparkSession) -> DataFrame:
    rows = [(["The", "quick", "a", "Fox", "jumps"],), (["over", "the", "lazy", "dog"],)]
    return spark.createDataFrame(rows, ["w"])


@pytest.fixture(scope="module")
def labeled(spark: SparkSession) -> DataFrame:
    rows = [
        (Vectors.dense([0.0, 0.0, 18.0, 1.0]), 1.0),
        (Vectors.dense([0.0, 1.0, 12.0, 0.0]), 0.0),
        (Vectors.dense([1.0, 0.0, 15.0, 0.1]), 0.0),
        (Vectors.dense([1.0, 1.0, 11.0, 0.3]), 1.0),
    ]
    return spark.createDataFrame(rows, ["features", "label"])


def test_stop_words_default_to_sparks_english_list(words: DataFrame) -> None:
    out = StopWordsRemover(inputCol="w", outputCol="o").transform(words).collect()
    assert [r.o for r in out] == [["quick", "Fox", "jumps"], ["lazy", "dog"]]
    sensitive = StopWordsRemover(inputCol="w", outputCol="o", caseSensitive=True)
    assert [r.o for r in sensitive.transform(words).collect()] == [
        ["The", "quick", "Fox", "jumps"],
        ["lazy", "dog"],
    ]
    assert "the" in StopWordsRemover.loadDefaultStopWords("english")


def test_ngrams(words: DataFrame) -> None:
    out = NGram(n=3, inputCol="w", outputCol="o").transform(words).collect()
    assert [r.o for r in out] == [
        ["The quick a", "quick a Fox", "a Fox jumps"],
        ["over the lazy", "the lazy dog"],
    ]


def test_count_vectorizer_vocabulary_and_counts(spark: SparkSession, tmp_path: Path) -> None:
    docs = spark.createDataFrame([(["a", "b", "c", "a"],), (["a", "b"],), (["a", "d"],)], ["w"])
    model = CountVectorizer(inputCol="w", outputCol="v", minDF=2.0).fit(docs)
    assert model.vocabulary == ["a", "b"]
    expected = ["(2,[0,1],[2.0,1.0])", "(2,[0,1],[1.0,1.0])", "(2,[0],[1.0])"]
    assert [str(r.v) for r in model.transform(docs).collect()] == expected
    binary = CountVectorizer(inputCol="w", outputCol="v", binary=True, vocabSize=2).fit(docs)
    assert [str(r.v) for r in binary.transform(docs).collect()][0] == "(2,[0,1],[1.0,1.0])"
    model.write().overwrite().save(str(tmp_path / "cv"))
    loaded = CountVectorizerModel.load(str(tmp_path / "cv"))
    assert loaded.vocabulary == ["a", "b"]
    fixed = CountVectorizerModel.from_vocabulary(["d", "a"], inputCol="w", outputCol="v")
    assert str(fixed.transform(docs).collect()[2].v) == "(2,[0,1],[1.0,1.0])"


def test_feature_hasher_uses_sparks_hash(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2.0, True, "x", 3), (0.0, False, "y", 4)], ["r", "b", "s", "i"])
    hasher = FeatureHasher(inputCols=["r", "b", "s", "i"], outputCol="h", numFeatures=64)
    assert [str(r.h) for r in hasher.transform(df).collect()] == [
        "(64,[2,21,28],[2.0,1.0,4.0])",
        "(64,[2,28,43,46],[0.0,4.0,1.0,1.0])",
    ]
    categorical = FeatureHasher(
        inputCols=["r", "i"], categoricalCols=["i"], outputCol="h", numFeatures=64
    )
    assert [str(r.h) for r in categorical.transform(df).collect()] == [
        "(64,[2,12],[2.0,1.0])",
        "(64,[2,19],[0.0,1.0])",
    ]


def test_sql_transformer_interaction_and_dct(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, 2.0, Vectors.dense([1.0, 3.0])), (2, 0.5, Vectors.dense([0.0, 2.0]))],
        ["id", "x", "v"],
    )
    sql = SQLTransformer(statement="SELECT id, x * 2 AS x2 FROM __THIS__ WHERE id > 1")
    assert [tuple(r) for r in sql.transform(df).collect()] == [(2, 1.0)]
    pairs = Interaction(inputCols=["id", "x"], outputCol="o").transform(df).collect()
    assert [list(r.o) for r in pairs] == [[2.0], [1.0]]
    dct = DCT(inputCol="v", outputCol="o").transform(df).collect()
    assert [round(x, 9) for x in dct[0].o] == [2.828427125, -1.414213562]
    back = DCT(inputCol="o", outputCol="b", inverse=True).transform(
        DCT(inputCol="v", outputCol="o").transform(df)
    )
    assert [round(x, 9) for x in back.collect()[0].b] == [1.0, 3.0]


def test_selectors(labeled: DataFrame, tmp_path: Path) -> None:
    assert ChiSqSelector(numTopFeatures=2, outputCol="s").fit(labeled).selectedFeatures == [2, 3]
    fpr = ChiSqSelector(selectorType="fpr", fpr=0.5, outputCol="s").fit(labeled)
    assert fpr.selectedFeatures == [2, 3]
    regression = (
        UnivariateFeatureSelector(outputCol="s")
        .setFeatureType("continuous")
        .setLabelType("continuous")
        .setSelectionMode("numTopFeatures")
        .setSelectionThreshold(2)
        .fit(labeled)
    )
    # The most significant feature first; the output keeps the features' own order.
    assert regression.selectedFeatures == [3, 2]
    assert list(regression.transform(labeled).head().s) == [18.0, 1.0]
    regression.write().overwrite().save(str(tmp_path / "ufs"))
    assert UnivariateFeatureSelectorModel.load(str(tmp_path / "ufs")).selectedFeatures == [3, 2]
    anova = (
        UnivariateFeatureSelector(outputCol="s")
        .setFeatureType("continuous")
        .setLabelType("categorical")
        .setSelectionMode("fpr")
        .setSelectionThreshold(0.5)
        .fit(labeled)
    )
    assert anova.selectedFeatures == [3]
    variance = VarianceThresholdSelector(varianceThreshold=0.2, outputCol="s").fit(labeled)
    assert variance.selectedFeatures == [0, 1, 2, 3]


def test_vector_indexer_and_robust_scaler(labeled: DataFrame, tmp_path: Path) -> None:
    model = VectorIndexer(maxCategories=2, inputCol="features", outputCol="o").fit(labeled)
    assert model.categoryMaps == {0: {0.0: 0, 1.0: 1}, 1: {0.0: 0, 1.0: 1}}
    model.write().overwrite().save(str(tmp_path / "vi"))
    loaded = VectorIndexerModel.load(str(tmp_path / "vi"))
    assert loaded.categoryMaps == model.categoryMaps
    assert list(loaded.transform(labeled).head().o) == [0.0, 0.0, 18.0, 1.0]
    scaler = RobustScaler(
        inputCol="features", outputCol="o", withCentering=True, lower=0.1, upper=0.9
    ).fit(labeled)
    assert list(scaler.median) == [0.0, 0.0, 12.0, 0.1]
    assert list(scaler.range) == [1.0, 1.0, 7.0, 1.0]
    assert list(scaler.transform(labeled).collect()[2].o) == [1.0, 0.0, 3 / 7, 0.0]


def test_rformula(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(1.0, 1.0, "a"), (0.0, 2.0, "b"), (0.0, 0.0, "a"), (1.0, 3.0, "c")], ["y", "x", "s"]
    )
    model = RFormula(formula="y ~ x + s").fit(df)
    rows = model.transform(df).collect()
    assert [(list(r.features), r.label) for r in rows] == [
        ([1.0, 1.0, 0.0], 1.0),
        ([2.0, 0.0, 1.0], 0.0),
        ([0.0, 1.0, 0.0], 0.0),
        ([3.0, 0.0, 0.0], 1.0),
    ]
    no_intercept = RFormula(formula="y ~ s - 1").fit(df).transform(df).collect()
    assert [list(r.features) for r in no_intercept][3] == [0.0, 0.0, 1.0]
    interaction = RFormula(formula="y ~ x:s").fit(df).transform(df).collect()
    assert [list(r.features) for r in interaction] == [
        [1.0, 0.0, 0.0],
        [0.0, 2.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 3.0],
    ]
    model.write().overwrite().save(str(tmp_path / "rf"))
    loaded = RFormulaModel.load(str(tmp_path / "rf"))
    assert str(loaded).startswith("RFormulaModel(ResolvedRFormula(label=y, terms=[x,s]")
    assert [list(r.features) for r in loaded.transform(df).collect()][1] == [2.0, 0.0, 1.0]


def test_rformula_unknown_column_is_an_error(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1.0, 2.0)], ["y", "x"])
    with pytest.raises(PySparkException, match="nope"):
        RFormula(formula="y ~ nope").fit(df)


def test_quantile_discretizer_splits_at_quantiles(spark: SparkSession) -> None:
    # Values from Spark's own QuantileDiscretizer documentation.
    nan = float("nan")
    rows = [(0.1, 0.0), (0.4, 1.0), (1.2, 1.3), (1.5, 1.5), (nan, nan), (nan, nan)]
    df = spark.createDataFrame(rows, ["input1", "input2"])
    single = QuantileDiscretizer(inputCol="input1", outputCol="b", numBuckets=2).fit(df)
    assert single.getSplits() == [float("-inf"), 0.4, float("inf")]
    keep = QuantileDiscretizer(inputCol="input1", outputCol="b", handleInvalid="keep").fit(df)
    assert [r.b for r in keep.transform(df).collect()] == [0.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    several = QuantileDiscretizer(
        numBucketsArray=[5, 10],
        inputCols=["input1", "input2"],
        outputCols=["o1", "o2"],
        handleInvalid="skip",
    ).fit(df)
    out = several.transform(df).collect()
    assert [(r.o1, r.o2) for r in out] == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)]
