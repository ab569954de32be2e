"""Writing and reading Parquet, CSV, JSON, text, ORC and XML files, save modes and partitioning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import sorted_rows
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import (
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)


@pytest.fixture
def items(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, "apple", 0.5), (2, "pear", None), (3, "plum", 1.25)],
        "id long, name string, price double",
    )


def data_files(path: Path, suffix: str) -> list[Path]:
    return [p for p in path.rglob(f"*{suffix}") if not p.name.startswith((".", "_"))]


# --- parquet ------------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_schema(
    spark: SparkSession, items: DataFrame, tmp_path: Path
) -> None:
    out = str(tmp_path / "items")
    items.write.parquet(out)
    assert data_files(tmp_path / "items", ".parquet")
    back = spark.read.parquet(out)
    assert back.schema == items.schema
    assert sorted_rows(back) == [(1, "apple", 0.5), (2, "pear", None), (3, "plum", 1.25)]


def test_save_mode_error_is_default(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "items")
    items.write.parquet(out)
    with pytest.raises(AnalysisException) as info:
        items.write.parquet(out)
    assert info.value.getCondition() == "PATH_ALREADY_EXISTS"
    with pytest.raises(AnalysisException):
        items.write.mode("error").parquet(out)
    assert spark.read.parquet(out).count() == 3


def test_save_mode_append(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "items")
    items.write.mode("append").parquet(out)
    items.filter("id = 1").write.mode("append").parquet(out)
    assert spark.read.parquet(out).count() == 4


def test_save_mode_overwrite(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "items")
    items.write.parquet(out)
    items.filter("id = 3").write.mode("overwrite").parquet(out)
    assert sorted_rows(spark.read.parquet(out)) == [(3, "plum", 1.25)]


def test_save_mode_ignore(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "items")
    items.filter("id = 1").write.parquet(out)
    items.write.mode("ignore").parquet(out)
    assert spark.read.parquet(out).count() == 1
    fresh = str(tmp_path / "fresh")
    items.write.mode("ignore").parquet(fresh)
    assert spark.read.parquet(fresh).count() == 3


def test_generic_save_and_load(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "items")
    items.write.format("parquet").mode("overwrite").save(out)
    assert spark.read.format("parquet").load(out).count() == 3


# --- csv ----------------------------------------------------------------------------------------


def test_csv_with_schema(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,age\nAnn,34\nBen,\n")
    schema = StructType([StructField("name", StringType()), StructField("age", IntegerType())])
    df = spark.read.schema(schema).option("header", "true").csv(str(path))
    assert df.schema == schema
    assert sorted_rows(df) == [("Ann", 34), ("Ben", None)]
    ddl = spark.read.csv(str(path), schema="name STRING, age INT", header=True)
    assert ddl.dtypes == [("name", "string"), ("age", "int")]


# --- json ---------------------------------------------------------------------------------------


def test_json_round_trip(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "json"
    items.write.json(str(out))
    records = [
        json.loads(line) for f in data_files(out, ".json") for line in f.read_text().splitlines()
    ]
    # Null fields are left out of the written JSON.
    assert sorted(records, key=lambda r: r["id"]) == [
        {"id": 1, "name": "apple", "price": 0.5},
        {"id": 2, "name": "pear"},
        {"id": 3, "name": "plum", "price": 1.25},
    ]
    back = spark.read.json(str(out))
    # Inferred JSON schemas list fields alphabetically; integers are longs.
    assert back.dtypes == [("id", "bigint"), ("name", "string"), ("price", "double")]
    assert sorted_rows(back) == [(1, "apple", 0.5), (2, "pear", None), (3, "plum", 1.25)]


def test_json_with_schema_and_nulls(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        '{"user": "a", "ts": 10, "revenue": 1.5}\n'
        '{"user": null, "ts": 20}\n'
        '{"ts": 30, "revenue": 2, "extra": true}\n'
    )
    schema = StructType(
        [
            StructField("user", StringType()),
            StructField("ts", LongType()),
            StructField("revenue", DoubleType()),
        ]
    )
    df = spark.read.schema(schema).json(str(path))
    assert df.schema == schema
    assert sorted_rows(df) == [(None, 20, None), (None, 30, 2.0), ("a", 10, 1.5)]


def test_json_reads_a_directory_of_files(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "part-0.json").write_text('{"v": 1}\n{"v": 2}\n')
    (folder / "part-1.json").write_text('{"v": 3}\n')
    df = spark.read.json(str(folder))
    assert sorted(r.v for r in df.collect()) == [1, 2, 3]


# --- text ---------------------------------------------------------------------------------------


def test_text_round_trip(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "text"
    spark.createDataFrame([("hello",), ("world",)], ["line"]).write.text(str(out))
    lines = sorted(line for f in data_files(out, ".txt") for line in f.read_text().splitlines())
    assert lines == ["hello", "world"]
    back = spark.read.text(str(out))
    assert back.dtypes == [("value", "string")]
    assert sorted(r.value for r in back.collect()) == ["hello", "world"]


def test_read_text_file(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("first line\nsecond line\n")
    df = spark.read.text(str(path))
    assert sorted(r.value for r in df.collect()) == ["first line", "second line"]


def test_partition_by(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(1, "a", 2024), (2, "b", 2024), (3, "c", 2025)], "id int, v string, year int"
    )
    out = tmp_path / "parts"
    df.write.partitionBy("year").parquet(str(out))
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["year=2024", "year=2025"]
    back = spark.read.parquet(str(out))
    # Partition columns come last; their type is inferred from the directory names.
    assert back.dtypes == [("id", "int"), ("v", "string"), ("year", "int")]
    assert sorted_rows(back) == [(1, "a", 2024), (2, "b", 2024), (3, "c", 2025)]
    assert sorted(r.id for r in back.filter("year = 2024").collect()) == [1, 2]


def test_csv_without_header_gets_default_names(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("1,x\n2,y\n")
    df = spark.read.csv(str(path))
    assert df.columns == ["_c0", "_c1"]
    assert sorted_rows(df) == [("1", "x"), ("2", "y")]


# --- CSV options ---------------------------------------------------------------------------------


def test_csv_null_value_on_write_and_read(spark: SparkSession, tmp_path: Path) -> None:
    out = str(tmp_path / "nulls")
    df = spark.createDataFrame([(100, None), (7, "x")], "age INT, name STRING")
    df.write.option("nullValue", "NA").csv(out)
    assert sorted_rows(spark.read.schema(df.schema).csv(out)) == [(7, "x"), (100, "NA")]
    read_back = spark.read.schema(df.schema).csv(out, nullValue="NA")
    assert sorted_rows(read_back) == [(7, "x"), (100, None)]


def test_csv_null_value_applies_before_types(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "typed.csv"
    path.write_text("1,a\n-,b\n")
    df = spark.read.csv(str(path), schema="n INT, s STRING", nullValue="-")
    assert sorted_rows(df) == [(None, "b"), (1, "a")]


def test_csv_infer_schema_gives_int_when_values_fit(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("small,big,real\n1,3000000000,1.5\n2,4,2.0\n")
    df = spark.read.csv(str(path), header=True, inferSchema=True)
    assert [(f.name, f.dataType) for f in df.schema.fields] == [
        ("small", IntegerType()),
        ("big", LongType()),
        ("real", DoubleType()),
    ]


def test_parquet_paths_with_different_columns_are_merged(
    spark: SparkSession, tmp_path: Path
) -> None:
    first, second = str(tmp_path / "a"), str(tmp_path / "b")
    spark.createDataFrame([(1, "x")], "id INT, name STRING").write.parquet(first)
    spark.createDataFrame([(2, 1.5)], "id INT, score DOUBLE").write.parquet(second)
    df = spark.read.option("mergeSchema", "true").parquet(first, second)
    assert sorted(df.columns) == ["id", "name", "score"]
    assert sorted_rows(df.select("id", "name", "score")) == [(1, "x", None), (2, None, 1.5)]


# --- tables --------------------------------------------------------------------------------------


def test_insert_into_matches_columns_by_position(spark: SparkSession) -> None:
    spark.sql("DROP TABLE IF EXISTS ember_insert_into")
    df = spark.createDataFrame([(100, "a"), (120, "b")], ["age", "name"])
    df.write.saveAsTable("ember_insert_into")
    df.selectExpr("age AS col1", "name AS col2").write.insertInto("ember_insert_into")
    table = spark.read.table("ember_insert_into")
    assert table.columns == ["age", "name"]
    assert sorted_rows(table) == [(100, "a"), (100, "a"), (120, "b"), (120, "b")]
    df.write.insertInto("ember_insert_into", overwrite=True)
    assert sorted_rows(spark.read.table("ember_insert_into")) == [(100, "a"), (120, "b")]
    with pytest.raises(AnalysisException, match="INSERT_COLUMN_ARITY_MISMATCH"):
        df.select("age").write.insertInto("ember_insert_into")
    spark.sql("DROP TABLE ember_insert_into")


def test_drop_table_drops_a_temp_view(spark: SparkSession) -> None:
    spark.range(3).createOrReplaceTempView("ember_dropped_view")
    spark.sql("DROP TABLE ember_dropped_view")
    assert not spark.catalog.tableExists("ember_dropped_view")


def test_rows_of_larger_files_come_first(spark: SparkSession, tmp_path: Path) -> None:
    # Spark packs a scan's files largest first and returns them partition by partition.
    small, large = tmp_path / "small", tmp_path / "large"
    for path, rows in ((small, 1), (large, 3)):
        path.mkdir()
        body = "".join(f'{{"n": "{path.name}-{i}"}}\n' for i in range(rows))
        (path / "part.json").write_text(body)
    for _ in range(3):
        got = [r.n for r in spark.read.json([str(small), str(large)]).collect()]
        assert got == ["large-0", "large-1", "large-2", "small-0"]


# --- orc ----------------------------------------------------------------------------------------


def test_orc_round_trip_keeps_schema(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "orc")
    items.write.orc(out)
    assert data_files(tmp_path / "orc", ".orc")
    back = spark.read.orc(out)
    assert back.schema == items.schema
    assert sorted_rows(back) == sorted_rows(items)
    assert sorted_rows(spark.read.format("orc").load(out)) == sorted_rows(items)


def test_orc_append_adds_files(spark: SparkSession, items: DataFrame, tmp_path: Path) -> None:
    out = str(tmp_path / "orc")
    items.write.orc(out)
    items.write.mode("append").orc(out)
    assert spark.read.orc(out).count() == 6


# --- xml ----------------------------------------------------------------------------------------


def test_xml_round_trip_infers_types(spark: SparkSession, tmp_path: Path) -> None:
    out = str(tmp_path / "xml")
    df = spark.createDataFrame(
        [(100, "Hyukjin Kwon", 1.5, True), (None, "Bob & <Co>", None, False)],
        "age long, name string, score double, ok boolean",
    )
    df.write.option("rowTag", "person").xml(out)
    text = "".join(p.read_text() for p in data_files(tmp_path / "xml", ".xml"))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ROWS>\n')
    assert "    <person>\n        <age>100</age>\n" in text
    # Text escapes only what XML requires.
    assert "<name>Bob &amp; &lt;Co></name>" in text
    back = spark.read.option("rowTag", "person").xml(out)
    # Inference puts the columns in name order.
    expected = df.select("age", "name", "ok", "score")
    assert back.schema == expected.schema
    assert sorted_rows(back) == sorted_rows(expected)


def test_xml_attributes_nested_elements_and_repeats(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "books.xml"
    path.write_text(
        "<catalog>"
        '<book id="b1"><title>Rust</title><author><first>A</first></author>'
        "<tag>x</tag><tag>y</tag></book>"
        '<book id="b2"><title>Spark</title><price>9.5</price></book>'
        "</catalog>"
    )
    df = spark.read.format("xml").option("rowTag", "book").load(str(path))
    assert df.columns == ["_id", "author", "price", "tag", "title"]
    rows = {r._id: r for r in df.collect()}
    assert rows["b1"].author.first == "A"
    assert rows["b1"].tag == ["x", "y"]
    assert rows["b1"].price is None
    assert rows["b2"].price == 9.5
    assert rows["b2"].tag is None


def test_xml_read_needs_row_tag(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "rows.xml"
    path.write_text("<ROWS><ROW><a>1</a></ROW></ROWS>")
    with pytest.raises(Exception, match="XML_ROW_TAG_MISSING"):
        spark.read.xml(str(path)).collect()


def test_text_json_csv_reads_skip_checksums_and_markers(
    spark: SparkSession, tmp_path: Path
) -> None:
    # What Hadoop-based writers leave beside the data: checksums and _SUCCESS.
    for name, body in [("text", "line one\n"), ("json", '{"a": 1}\n'), ("csv", "1,x\n")]:
        directory = tmp_path / name
        directory.mkdir()
        (directory / f"part-00000.{name}").write_text(body)
        (directory / f".part-00000.{name}.crc").write_bytes(b"\x00\xff\xfe\x80")
        (directory / "_SUCCESS").write_text("")
    assert [r.value for r in spark.read.text(str(tmp_path / "text")).collect()] == ["line one"]
    assert [r.a for r in spark.read.json(str(tmp_path / "json")).collect()] == [1]
    assert spark.read.csv(str(tmp_path / "csv")).collect()[0][1] == "x"
