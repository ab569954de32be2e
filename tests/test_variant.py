"""Spark's VARIANT: parse_json and its relatives, values read back by path and type, the
schema of one variant and of a group, and variants travelling to the client. Expected values
are Spark 4.1.1's."""

from __future__ import annotations

import pytest
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import VariantVal

DOC = '{"b": [1, 2.5, "x", null, true], "a": 1.50, "d": 12345678901234, "e": {"z": 1}}'


def test_parse_json_round_trips_through_to_json(spark: SparkSession) -> None:
    df = spark.createDataFrame([(DOC,), (None,)], "j string")
    rows = df.select(sf.to_json(sf.parse_json("j")).alias("t")).collect()
    assert [r.t for r in rows] == [
        '{"a":1.5,"b":[1,2.5,"x",null,true],"d":12345678901234,"e":{"z":1}}',
        None,
    ]
    parsed = df.select(sf.parse_json("j").alias("v"))
    assert parsed.schema["v"].dataType.simpleString() == "variant"
    value = parsed.first().v  # type: ignore[union-attr]
    assert isinstance(value, VariantVal)
    assert value.toPython()["e"] == {"z": 1}
    shown = parsed.select(sf.col("v").cast("string").alias("s")).first().s  # type: ignore[union-attr]
    assert shown.startswith('{"a":1.5,')


def test_malformed_json_fails_or_is_null(spark: SparkSession) -> None:
    with pytest.raises(PySparkException, match="MALFORMED_RECORD_IN_PARSING"):
        spark.sql("SELECT parse_json('{')").collect()
    row = spark.sql("SELECT try_parse_json('{') AS a, try_parse_json('[1]') AS b").first()
    assert row is not None and row.a is None and row.b is not None


def test_variant_null_is_not_sql_null(spark: SparkSession) -> None:
    row = spark.sql(
        "SELECT is_variant_null(parse_json('null')) AS a, is_variant_null(NULL) AS b, "
        "is_variant_null(parse_json('1')) AS c"
    ).first()
    assert row is not None and (row.a, row.b, row.c) == (True, False, False)


def test_schema_of_variant_and_its_aggregate(spark: SparkSession) -> None:
    row = spark.sql(
        f"SELECT schema_of_variant(parse_json('{DOC}')) AS s, "
        "schema_of_variant(parse_json('[1, 2.5]')) AS widened, "
        "schema_of_variant(parse_json('null')) AS void"
    ).first()
    assert row is not None
    assert row.s == "OBJECT<a: DECIMAL(2,1), b: ARRAY<VARIANT>, d: BIGINT, e: OBJECT<z: BIGINT>>"
    assert (row.widened, row.void) == ("ARRAY<DECIMAL(21,1)>", "VOID")
    merged = spark.sql(
        "SELECT schema_of_variant_agg(parse_json(j)) AS s FROM VALUES "
        '(\'{"a": 1}\'), (\'{"a": 2.5, "b": "x"}\'), (\'{"a": "s"}\') AS t(j)'
    ).first()
    assert merged is not None and merged.s == "OBJECT<a: VARIANT, b: STRING>"


def test_variant_get_reads_a_path_as_a_type(spark: SparkSession) -> None:
    df = spark.createDataFrame([('{"a": {"b": [10, 20]}, "s": "hi", "f": 1.7}',)], "j string")
    v = sf.parse_json("j")
    out = df.select(
        sf.variant_get(v, "$.a.b[1]", "int").alias("deep"),
        sf.variant_get(v, "$.missing", "int").alias("missing"),
        sf.variant_get(v, "$.a", "string").alias("object_text"),
        sf.variant_get(v, "$.f", "int").alias("truncated"),
        sf.variant_get(v, "$.a.b", "array<int>").alias("array"),
        sf.try_variant_get(v, "$.s", "int").alias("not_a_number"),
    )
    row = out.first()
    assert row is not None
    assert (row.deep, row.missing, row.object_text) == (20, None, '{"b":[10,20]}')
    assert (row.truncated, row.array, row.not_a_number) == (1, [10, 20], None)
    named = df.select(sf.variant_get(v, "$.a.b[1]", "int"))
    assert named.columns == ["variant_get(parse_json(j), $.a.b[1])"]
    with pytest.raises(PySparkException, match="INVALID_VARIANT_CAST"):
        df.select(sf.variant_get(v, "$.s", "int")).collect()
    with pytest.raises(PySparkException, match="INVALID_VARIANT_GET_PATH"):
        df.select(sf.variant_get(v, "a", "int")).collect()
    inner = spark.sql("SELECT to_json(variant_get(parse_json('{\"a\": {\"b\": 1}}'), '$.a')) AS t")
    assert inner.first().t == '{"b":1}'  # type: ignore[union-attr]


def test_to_variant_object_takes_structs_maps_and_arrays(spark: SparkSession) -> None:
    row = spark.sql(
        "SELECT to_json(to_variant_object(named_struct('a', 1, 'b', array(1, 2)))) AS t"
    ).first()
    assert row is not None and row.t == '{"a":1,"b":[1,2]}'
    with pytest.raises(PySparkException, match="VARIANT"):
        spark.sql("SELECT to_variant_object(1)").collect()


def test_variant_get_takes_a_path_per_row(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [('{"a": 1, "b": "x"}', "$.a"), ('{"a": 2}', "$.b")], "j string, p string"
    )
    rows = df.select(sf.variant_get(sf.parse_json("j"), df.p, "int").alias("r")).collect()
    assert [r.r for r in rows] == [1, None]
    as_bytes = df.select(sf.try_variant_get(sf.parse_json("j"), "$.a", "binary").alias("r"))
    assert [r.r for r in as_bytes.collect()] == [None, None]
