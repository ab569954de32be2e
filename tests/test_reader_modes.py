"""Dirty files read as Spark reads them: JSON lines under PERMISSIVE (the default),
DROPMALFORMED and FAILFAST. Expected rows are Apache Spark 4.1.1's on the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

DIRTY_LINES = [
    '{"a":1,"b":"x"}',
    '{"a":"oops","b":"y"}',
    "not json",
    '{"a":3}',
    "",
    '{"a":4,"c":[1,2]}',
]


@pytest.fixture()
def dirty_json(tmp_path: Path) -> str:
    path = tmp_path / "dirty.json"
    path.write_text("\n".join(DIRTY_LINES) + "\n")
    return str(path)


def rows(df: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in df.collect()]  # type: ignore[attr-defined]


def test_inferred_schema_gains_the_corrupt_record_column(
    spark: SparkSession, dirty_json: str
) -> None:
    df = spark.read.json(dirty_json)
    assert df.schema.simpleString() == (
        "struct<_corrupt_record:string,a:string,b:string,c:array<bigint>>"
    )
    assert rows(df) == [
        (None, "1", "x", None),
        (None, "oops", "y", None),
        ("not json", None, None, None),
        (None, "3", None, None),
        (None, "4", None, [1, 2]),
    ]
    # Selecting fewer columns reads the same lines.
    assert rows(df.select("a")) == [("1",), ("oops",), (None,), ("3",), ("4",)]


def test_permissive_keeps_the_fields_that_fit(spark: SparkSession, dirty_json: str) -> None:
    df = spark.read.schema("a INT, b STRING, _corrupt_record STRING").json(dirty_json)
    assert rows(df) == [
        (1, "x", None),
        (None, "y", '{"a":"oops","b":"y"}'),
        (None, None, "not json"),
        (3, None, None),
        (4, None, None),
    ]
    plain = spark.read.schema("a INT, b STRING").json(dirty_json)
    assert rows(plain) == [(1, "x"), (None, "y"), (None, None), (3, None), (4, None)]


def test_corrupt_column_can_be_renamed(spark: SparkSession, dirty_json: str) -> None:
    df = spark.read.option("columnNameOfCorruptRecord", "bad").json(dirty_json)
    assert df.columns == ["a", "b", "bad", "c"]
    assert [r.bad for r in df.collect()] == [None, None, "not json", None, None]


def test_dropmalformed_drops_lines_that_do_not_fit(spark: SparkSession, dirty_json: str) -> None:
    reader = spark.read.option("mode", "DROPMALFORMED")
    assert rows(reader.schema("a INT, b STRING").json(dirty_json)) == [
        (1, "x"),
        (3, None),
        (4, None),
    ]
    inferred = spark.read.option("mode", "DROPMALFORMED").json(dirty_json)
    assert inferred.columns == ["a", "b", "c"]
    assert len(inferred.collect()) == 4


def test_failfast_names_the_record(spark: SparkSession, dirty_json: str) -> None:
    reader = spark.read.option("mode", "FAILFAST").schema("a INT, b STRING")
    with pytest.raises(Exception, match="MALFORMED_RECORD_IN_PARSING"):
        reader.json(dirty_json).collect()


def test_clean_files_read_as_before(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "clean.json"
    path.write_text('{"b":1,"a":2.5}\n{"a":3,"c":"x"}\n')
    df = spark.read.json(str(path))
    assert df.schema.simpleString() == "struct<a:double,b:bigint,c:string>"
    assert rows(df) == [(2.5, 1, None), (3.0, None, "x")]


@pytest.fixture()
def parquet_with_a_torn_file(spark: SparkSession, tmp_path: Path) -> Path:
    directory = tmp_path / "table"
    spark.range(100).coalesce(1).write.parquet(str(directory))
    (good,) = directory.glob("*.parquet")
    data = good.read_bytes()
    (directory / "part-torn.parquet").write_bytes(data[: len(data) // 2])
    return directory


def test_corrupt_parquet_file_is_named(spark: SparkSession, parquet_with_a_torn_file: Path) -> None:
    with pytest.raises(Exception, match=r"FAILED_READ_FILE.*part-torn\.parquet"):
        spark.read.parquet(str(parquet_with_a_torn_file)).count()


def test_ignore_corrupt_files_skips_them(
    spark: SparkSession, parquet_with_a_torn_file: Path
) -> None:
    path = str(parquet_with_a_torn_file)
    assert spark.read.option("ignoreCorruptFiles", "true").parquet(path).count() == 100
    spark.conf.set("spark.sql.files.ignoreCorruptFiles", "true")
    try:
        assert spark.read.parquet(path).count() == 100
    finally:
        spark.conf.unset("spark.sql.files.ignoreCorruptFiles")


CSV_LINES = ["id,name,score", "1,ann,3.5", "2,bob,oops", "3,cy", "4,dee,5.0,extra"]


@pytest.fixture()
def dirty_csv(tmp_path: Path) -> str:
    path = tmp_path / "dirty.csv"
    path.write_text("\n".join(CSV_LINES) + "\n")
    return str(path)


def test_csv_permissive_nulls_what_does_not_fit(spark: SparkSession, dirty_csv: str) -> None:
    reader = spark.read.option("header", True)
    typed = reader.schema("id INT, name STRING, score DOUBLE").csv(dirty_csv)
    assert rows(typed) == [(1, "ann", 3.5), (2, "bob", None), (3, "cy", None), (4, "dee", 5.0)]
    kept = (
        spark.read.option("header", True)
        .schema("id INT, name STRING, score DOUBLE, _corrupt_record STRING")
        .csv(dirty_csv)
    )
    assert [r._corrupt_record for r in kept.collect()] == [
        None,
        "2,bob,oops",
        "3,cy",
        "4,dee,5.0,extra",
    ]


def test_csv_rows_of_uneven_length_read_as_text(spark: SparkSession, dirty_csv: str) -> None:
    df = spark.read.option("header", True).csv(dirty_csv)
    assert df.columns == ["id", "name", "score"]
    assert rows(df) == [
        ("1", "ann", "3.5"),
        ("2", "bob", "oops"),
        ("3", "cy", None),
        ("4", "dee", "5.0"),
    ]


def test_csv_dropmalformed_and_failfast(spark: SparkSession, dirty_csv: str) -> None:
    schema = "id INT, name STRING, score DOUBLE"
    dropped = spark.read.option("header", True).option("mode", "DROPMALFORMED")
    assert rows(dropped.schema(schema).csv(dirty_csv)) == [(1, "ann", 3.5)]
    failing = spark.read.option("header", True).option("mode", "FAILFAST").schema(schema)
    with pytest.raises(Exception, match="MALFORMED_RECORD_IN_PARSING"):
        failing.csv(dirty_csv).collect()
