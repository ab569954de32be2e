"""pyspark.ml feature transformers and models; expected values come from Apache Spark 4.1.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.errors import PySparkException
from pyspark.ml.feature import (
    IDF,
    Binarizer,
    Bucketizer,
    ElementwiseProduct,
    HashingTF,
    IDFModel,
    Imputer,
    ImputerModel,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    PolynomialExpansion,
    RegexTokenizer,
    StandardScaler,
    StringIndexer,
    Tokenizer,
    VectorSlicer,
)
from pyspark.ml.linalg import Vectors
from pyspark.sql import DataFrame, SparkSession


@pytest.fixture(scope="module")
def vectors(spark: SparkSession) -> DataFrame:
    rows = [
        (Vectors.dense([0.0, 10.0, -1.0]),),
        (Vectors.sparse(3, {1: 4.0}),),
        (Vectors.dense([2.0, 1.0, 3.0]),),
    ]
    return spark.createDataFrame(rows, ["v"])


@pytest.fixture(scope="module")
def numbers(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(0.5, 0.0, -1.0), (1.5, 2.0, 0.0), (float("nan"), 1.0, 3.0)], ["a", "c", "b"]
    )


def shown(frame: DataFrame, column: str = "o") -> list[str]:
    return [repr(row[column]) for row in frame.collect()]


SCALED = {
    "standard": [
        "DenseVector([0.0, 2.1822, -0.4804])",
        "SparseVector(3, {1: 0.8729})",
        "DenseVector([1.7321, 0.2182, 1.4412])",
    ],
    "centered": [
        "DenseVector([-0.5774, 1.0911, -0.8006])",
        "DenseVector([-0.5774, -0.2182, -0.3203])",
        "DenseVector([1.1547, -0.8729, 1.1209])",
    ],
    "min_max": [
        "DenseVector([0.0, 1.0, 0.0])",
        "DenseVector([0.0, 0.3333, 0.25])",
        "DenseVector([1.0, 0.0, 1.0])",
    ],
    "max_abs": [
        "DenseVector([0.0, 1.0, -0.3333])",
        "SparseVector(3, {1: 0.4})",
        "DenseVector([1.0, 0.1, 1.0])",
    ],
}


def scaler(name: str) -> StandardScaler | MinMaxScaler | MaxAbsScaler:
    if name == "standard":
        return StandardScaler(inputCol="v", outputCol="o")
    if name == "centered":
        return StandardScaler(inputCol="v", outputCol="o", withMean=True)
    if name == "min_max":
        return MinMaxScaler(inputCol="v", outputCol="o")
    return MaxAbsScaler(inputCol="v", outputCol="o")


@pytest.mark.parametrize("name", list(SCALED))
def test_scalers_fit_transform_save_load(vectors: DataFrame, tmp_path: Path, name: str) -> None:
    model = scaler(name).fit(vectors)
    assert shown(model.transform(vectors)) == SCALED[name]
    model.save(str(tmp_path / name))
    loaded = type(model).load(str(tmp_path / name))
    assert shown(loaded.transform(vectors)) == SCALED[name]


def test_standard_scaler_statistics(vectors: DataFrame) -> None:
    model = StandardScaler(inputCol="v").fit(vectors)
    assert repr(model.std) == "DenseVector([1.1547, 4.5826, 2.0817])"
    assert repr(model.mean) == "DenseVector([0.6667, 5.0, 0.6667])"
    minmax = MinMaxScaler(inputCol="v").fit(vectors)
    assert minmax.originalMin.toArray().tolist() == [0.0, 1.0, -1.0]
    assert minmax.originalMax.toArray().tolist() == [2.0, 10.0, 3.0]


def test_binarizer_numbers_and_vectors(numbers: DataFrame, vectors: DataFrame) -> None:
    binarizer = Binarizer(threshold=1.0, inputCol="a", outputCol="o")
    assert [r.o for r in binarizer.transform(numbers).collect()] == [0.0, 1.0, 0.0]
    on_vectors = Binarizer(threshold=0.5, inputCol="v", outputCol="o").transform(vectors)
    assert shown(on_vectors) == [
        "DenseVector([0.0, 1.0, 0.0])",
        "DenseVector([0.0, 1.0, 0.0])",
        "DenseVector([1.0, 1.0, 1.0])",
    ]


def test_bucketizer_handle_invalid(numbers: DataFrame) -> None:
    splits = [-float("inf"), 0.0, 1.0, float("inf")]
    keep = Bucketizer(splits=splits, inputCol="a", outputCol="o", handleInvalid="keep")
    assert [r.o for r in keep.transform(numbers).collect()] == [1.0, 2.0, 3.0]
    skip = Bucketizer(splits=splits, inputCol="a", outputCol="o", handleInvalid="skip")
    assert skip.transform(numbers).count() == 2
    with pytest.raises(PySparkException, match="NaN"):
        Bucketizer(splits=splits, inputCol="a", outputCol="o").transform(numbers).collect()


def test_normalizer(vectors: DataFrame) -> None:
    normalized = Normalizer(p=1.0, inputCol="v", outputCol="o").transform(vectors)
    assert shown(normalized) == [
        "DenseVector([0.0, 0.9091, -0.0909])",
        "SparseVector(3, {1: 1.0})",
        "DenseVector([0.3333, 0.1667, 0.5])",
    ]


def test_one_hot_encoder(spark: SparkSession, numbers: DataFrame) -> None:
    model = OneHotEncoder(inputCols=["c"], outputCols=["o"]).fit(numbers)
    assert model.categorySizes == [3]
    assert shown(model.transform(numbers)) == [
        "SparseVector(2, {0: 1.0})",
        "SparseVector(2, {})",
        "SparseVector(2, {1: 1.0})",
    ]
    keep = OneHotEncoder(inputCols=["c"], outputCols=["o"], handleInvalid="keep", dropLast=False)
    assert shown(keep.fit(numbers).transform(numbers)) == [
        "SparseVector(4, {0: 1.0})",
        "SparseVector(4, {2: 1.0})",
        "SparseVector(4, {1: 1.0})",
    ]
    with pytest.raises(PySparkException, match="Unseen value"):
        model.transform(spark.createDataFrame([(5.0,)], ["c"])).collect()


def test_one_hot_encoder_reads_category_count_from_string_indexer(spark: SparkSession) -> None:
    training = spark.createDataFrame([("x",), ("y",), ("y",), ("z",)], ["s"])
    indexer = StringIndexer(inputCol="s", outputCol="si").fit(training)
    # Only three labels appear here, but the indexer knew three: no fourth slot either way.
    indexed = indexer.transform(spark.createDataFrame([("x",), ("y",), ("z",)], ["s"]))
    encoded = OneHotEncoder(inputCol="si", outputCol="o").fit(indexed).transform(indexed)
    assert shown(encoded) == [
        "SparseVector(2, {1: 1.0})",
        "SparseVector(2, {0: 1.0})",
        "SparseVector(2, {})",
    ]


def test_imputer_strategies_and_missing_value(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(1.0, float("nan"), 4), (2.0, 3.0, None), (float("nan"), 5.0, 1), (4.0, 3.0, 4)]
        + [(None, 7.0, 9)],
        "a double, b double, c int",
    )
    expected = {
        "mean": [[1.0, 4.5, 4], [2.0, 3.0, 4], [7 / 3, 5.0, 1], [4.0, 3.0, 4], [7 / 3, 7.0, 9]],
        "median": [[1.0, 3.0, 4], [2.0, 3.0, 4], [2.0, 5.0, 1], [4.0, 3.0, 4], [2.0, 7.0, 9]],
        "mode": [[1.0, 3.0, 4], [2.0, 3.0, 4], [1.0, 5.0, 1], [4.0, 3.0, 4], [1.0, 7.0, 9]],
    }
    for strategy, rows in expected.items():
        imputer = Imputer(strategy=strategy, inputCols=["a", "b", "c"], outputCols=["x", "y", "z"])
        out = imputer.fit(df).transform(df).select("x", "y", "z").collect()
        assert [list(r) for r in out] == [pytest.approx(row) for row in rows], strategy
    # With another missing value, NaN is an ordinary value and stays.
    model = Imputer(missingValue=3.0, inputCol="b", outputCol="y").fit(df)
    path = str(tmp_path / "imputer")
    model.save(path)
    filled = [r.y for r in ImputerModel.load(path).transform(df).collect()]
    assert str(filled[0]) == "nan"
    assert filled[1:] == [6.0, 5.0, 6.0, 7.0]
    types = Imputer(inputCols=["c"], outputCols=["z"]).fit(df).transform(df).schema
    assert types["z"].dataType.simpleString() == "int"


def test_vector_maps(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(Vectors.dense([-2.0, 2.3, 0.0]),), (Vectors.sparse(3, {1: 4.0}),)], ["v"]
    )
    product = ElementwiseProduct(
        scalingVec=Vectors.dense([1.0, 2.0, 3.0]), inputCol="v", outputCol="o"
    )
    product.save(str(tmp_path / "product"))
    loaded = ElementwiseProduct.load(str(tmp_path / "product"))
    assert repr(loaded.getScalingVec()) == "DenseVector([1.0, 2.0, 3.0])"
    assert shown(loaded.transform(df)) == [
        "DenseVector([-2.0, 4.6, 0.0])",
        "SparseVector(3, {1: 8.0})",
    ]
    sliced = VectorSlicer(inputCol="v", outputCol="o", indices=[2, 0]).transform(df)
    assert shown(sliced) == ["DenseVector([0.0, -2.0])", "SparseVector(2, {})"]
    expanded = PolynomialExpansion(inputCol="v", outputCol="o", degree=3).transform(df)
    assert shown(expanded)[1] == "SparseVector(19, {3: 4.0, 6: 16.0, 8: 64.0})"
    first = expanded.first()
    assert first is not None
    assert first.o.toArray().tolist()[:9] == pytest.approx(
        [-2.0, 4.0, -8.0, 2.3, -4.6, 9.2, 5.29, -10.58, 12.167]
    )


def test_tokenizers(spark: SparkSession) -> None:
    df = spark.createDataFrame([("A B  c",), (" Hello, World! ",)], ["text"])
    words = Tokenizer(inputCol="text", outputCol="w").transform(df)
    assert words.schema["w"].dataType.simpleString() == "array<string>"
    assert [r.w for r in words.collect()] == [["a", "b", "", "c"], ["", "hello,", "world!"]]
    split = RegexTokenizer(inputCol="text", outputCol="w").transform(df)
    assert [r.w for r in split.collect()] == [["a", "b", "c"], ["hello,", "world!"]]
    matched = RegexTokenizer(
        inputCol="text", outputCol="w", pattern="\\w+", gaps=False, minTokenLength=2
    ).setToLowercase(False)
    assert [r.w for r in matched.transform(df).collect()] == [[], ["Hello", "World"]]


def test_hashing_tf_uses_sparks_hash(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(["a", "b", "c", "a"],), (["hello", "world", "spark", "éé", "abcde", "abcdef"],)],
        ["words"],
    )
    counts = HashingTF(inputCol="words", outputCol="f", numFeatures=1000).transform(df)
    assert shown(counts, "f") == [
        "SparseVector(1000, {165: 1.0, 467: 2.0, 768: 1.0})",
        "SparseVector(1000, {179: 1.0, 286: 1.0, 360: 1.0, 384: 1.0, 396: 1.0, 889: 1.0})",
    ]
    binary = HashingTF(inputCol="words", outputCol="f", numFeatures=7, binary=True)
    assert shown(binary.transform(df), "f") == [
        "SparseVector(7, {0: 1.0, 2: 1.0, 3: 1.0})",
        "SparseVector(7, {1: 1.0, 3: 1.0, 5: 1.0})",
    ]


def test_idf(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(Vectors.dense([1.0, 2.0, 0.0]),), (Vectors.sparse(3, {1: 1.0}),)]
        + [(Vectors.dense([0.0, 3.0, 4.0]),)],
        ["tf"],
    )
    model = IDF(minDocFreq=1, inputCol="tf", outputCol="o").fit(df)
    assert repr(model.idf) == "DenseVector([0.6931, 0.0, 0.6931])"
    assert (model.docFreq, model.numDocs) == ([1, 3, 1], 3)
    path = str(tmp_path / "idf")
    model.save(path)
    assert shown(IDFModel.load(path).transform(df)) == [
        "DenseVector([0.6931, 0.0, 0.0])",
        "SparseVector(3, {1: 0.0})",
        "DenseVector([0.0, 0.0, 2.7726])",
    ]
    assert repr(IDF(minDocFreq=3, inputCol="tf").fit(df).idf) == "DenseVector([0.0, 0.0, 0.0])"
