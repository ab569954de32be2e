"""SQL functions users define (`CREATE [TEMPORARY] FUNCTION ... RETURN body`), dropped and
described like Spark's, and `DESCRIBE FUNCTION` / `SHOW FUNCTIONS` over every function."""

from __future__ import annotations

import pytest
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import SparkSession


def test_temporary_function_casts_arguments_and_result(spark: SparkSession) -> None:
    spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION plus_one(x INT) RETURNS INT RETURN x + 1")
    try:
        df = spark.sql(
            "SELECT plus_one(3), plus_one(id), plus_one('4'), plus_one(3.7) FROM range(2)"
        )
        assert df.columns == ["plus_one(3)", "plus_one(id)", "plus_one(4)", "plus_one(3.7)"]
        assert [tuple(r) for r in df.collect()] == [(4, 1, 5, 4), (4, 2, 5, 4)]
        assert df.schema["plus_one(id)"].dataType.simpleString() == "int"
        with pytest.raises(AnalysisException, match="WRONG_NUM_ARGS"):
            spark.sql("SELECT plus_one(1, 2)").collect()
        with pytest.raises(AnalysisException, match="ROUTINE_ALREADY_EXISTS"):
            spark.sql("CREATE TEMPORARY FUNCTION plus_one(x INT) RETURNS INT RETURN x + 2")
        with pytest.raises(ParseException, match="CREATE_TEMP_FUNC_WITH_IF_NOT_EXISTS"):
            spark.sql("CREATE TEMPORARY FUNCTION IF NOT EXISTS plus_one(x INT) RETURN x + 5")
        spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION plus_one(x INT) RETURNS INT RETURN x + 2")
        assert spark.sql("SELECT plus_one(1)").first()[0] == 3
    finally:
        spark.sql("DROP TEMPORARY FUNCTION IF EXISTS plus_one")
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql("SELECT plus_one(1)").collect()


def test_defaults_and_named_arguments(spark: SparkSession) -> None:
    spark.sql(
        "CREATE OR REPLACE TEMPORARY FUNCTION area(w DOUBLE, h DOUBLE DEFAULT 2.0) RETURN w * h"
    )
    try:
        df = spark.sql("SELECT area(3), area(3, 4), area(h => 5, w => 1)")
        assert df.columns == ["area(3)", "area(3, 4)", "area(1, 5)"]
        assert tuple(df.first()) == (6.0, 12.0, 5.0)
    finally:
        spark.sql("DROP TEMPORARY FUNCTION area")


def test_body_is_checked_when_created(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        spark.sql("CREATE TEMPORARY FUNCTION broken(x INT) RETURNS INT RETURN y + 1")
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql("SELECT broken(1)").collect()
    with pytest.raises(AnalysisException, match="CANNOT_LOAD_FUNCTION_CLASS"):
        spark.sql("CREATE TEMPORARY FUNCTION jvm AS 'com.example.Upper'")


def test_persistent_function_lives_in_the_catalog(spark: SparkSession, database: str) -> None:
    spark.sql(
        f"CREATE FUNCTION {database}.shout(s STRING) RETURNS STRING "
        "COMMENT 'louder' DETERMINISTIC RETURN upper(s) || '!'"
    )
    df = spark.sql(f"SELECT {database}.shout('a') AS a, spark_catalog.{database}.shout('b')")
    assert df.columns == ["a", f"spark_catalog.{database}.shout(b)"]
    assert tuple(df.first()) == ("A!", "B!")
    spark.sql(f"USE {database}")
    try:
        assert spark.sql("SELECT shout(name) FROM VALUES ('x') t(name)").first()[0] == "X!"
        assert f"spark_catalog.{database}.shout" in [
            r.function for r in spark.sql("SHOW USER FUNCTIONS").collect()
        ]
        with pytest.raises(AnalysisException, match="ROUTINE_ALREADY_EXISTS"):
            spark.sql("CREATE FUNCTION shout(s STRING) RETURN s")
    finally:
        spark.sql("USE default")
    spark.sql(f"DROP FUNCTION {database}.shout")
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql(f"SELECT {database}.shout('a')").collect()
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql(f"DROP FUNCTION {database}.shout")
    spark.sql(f"DROP FUNCTION IF EXISTS {database}.shout")


def test_describe_function(spark: SparkSession) -> None:
    rows = [r.function_desc for r in spark.sql("DESCRIBE FUNCTION upper").collect()]
    assert rows[0] == "Function: upper"
    assert any(r.startswith("Usage: ") for r in rows)
    spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION twice(x INT) RETURNS INT RETURN x * 2")
    try:
        rows = [r.function_desc for r in spark.sql("DESCRIBE FUNCTION twice").collect()]
        assert rows[0] == "Function: twice"
        assert "Class: sqlFunction." in rows or any("x INT" in r for r in rows)
    finally:
        spark.sql("DROP TEMPORARY FUNCTION twice")
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql("DESCRIBE FUNCTION no_such_function").collect()


def test_show_functions_by_scope(spark: SparkSession) -> None:
    spark.sql("CREATE OR REPLACE TEMPORARY FUNCTION scoped_fn(x INT) RETURN x")
    try:
        user = [r.function for r in spark.sql("SHOW USER FUNCTIONS").collect()]
        system = [r.function for r in spark.sql("SHOW SYSTEM FUNCTIONS").collect()]
        every = [r.function for r in spark.sql("SHOW FUNCTIONS LIKE 'scoped*'").collect()]
        assert "scoped_fn" in user and "upper" not in user
        assert "upper" in system and "scoped_fn" not in system
        assert every == ["scoped_fn"]
    finally:
        spark.sql("DROP TEMPORARY FUNCTION scoped_fn")


def test_class_functions_are_recorded_but_cannot_run(spark: SparkSession, database: str) -> None:
    spark.sql(f"CREATE FUNCTION {database}.jvm_fn AS 'com.example.Upper'")
    found = spark.catalog.getFunction(f"{database}.jvm_fn")
    assert (found.name, found.catalog, found.namespace) == ("jvm_fn", "spark_catalog", [database])
    assert found.className == "com.example.Upper" and not found.isTemporary
    assert spark.catalog.getFunction(f"spark_catalog.{database}.jvm_fn").name == "jvm_fn"
    assert spark.catalog.getFunction("upper").isTemporary
    with pytest.raises(AnalysisException, match="CANNOT_LOAD_FUNCTION_CLASS"):
        spark.sql(f"SELECT {database}.jvm_fn('a')").collect()
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.catalog.getFunction(f"{database}.missing_fn")
    spark.sql(f"DROP FUNCTION {database}.jvm_fn")


def test_query_bodies_give_a_value_or_rows(spark: SparkSession, database: str) -> None:
    spark.createDataFrame(
        [(1, "a"), (2, "b"), (3, "c")], "id INT, v STRING"
    ).createOrReplaceTempView("fn_rows")
    spark.sql(
        "CREATE OR REPLACE TEMPORARY FUNCTION below(x INT) RETURNS BIGINT "
        "RETURN SELECT count(*) FROM fn_rows WHERE id < x"
    )
    spark.sql(
        "CREATE OR REPLACE TEMPORARY FUNCTION pairs(x INT) RETURNS TABLE (a INT, b INT) "
        "RETURN SELECT x, x * 2"
    )
    spark.sql(
        "CREATE OR REPLACE TEMPORARY FUNCTION upto(lim INT) RETURNS TABLE "
        "RETURN SELECT id, v FROM fn_rows WHERE id <= lim"
    )
    try:
        df = spark.sql("SELECT below(3), below(10)")
        assert df.columns == ["below(3)", "below(10)"]
        assert tuple(df.first()) == (2, 3)
        pairs = spark.sql("SELECT * FROM pairs(3)")
        assert pairs.columns == ["a", "b"] and [tuple(r) for r in pairs.collect()] == [(3, 6)]
        assert spark.sql("SELECT t.a + 1 AS z FROM pairs(5) t").first() == (6,)
        rows = spark.sql("SELECT * FROM upto(2) ORDER BY id")
        assert rows.columns == ["id", "v"]
        assert [tuple(r) for r in rows.collect()] == [(1, "a"), (2, "b")]
        # Each kind only where it belongs.
        with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
            spark.sql("SELECT pairs(1)").collect()
        with pytest.raises(AnalysisException, match="UNRESOLVABLE_TABLE_VALUED_FUNCTION"):
            spark.sql("SELECT * FROM below(1)").collect()
        with pytest.raises(AnalysisException, match="RETURN_COLUMN_COUNT_MISMATCH"):
            spark.sql(
                "CREATE TEMPORARY FUNCTION short(x INT) RETURNS TABLE (a INT, b INT) "
                "RETURN SELECT x"
            )
        with pytest.raises(AnalysisException, match="SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE"):
            spark.sql("CREATE TEMPORARY FUNCTION two() RETURN SELECT 1, 2")
        # A persistent table function reads back from the catalog.
        spark.sql(
            f"CREATE FUNCTION {database}.evens(n INT) RETURNS TABLE (k BIGINT) "
            "RETURN SELECT id FROM range(10) WHERE id % 2 = 0 AND id < n"
        )
        # Spark takes no database name on a table function call: it is found in the current one.
        spark.sql(f"USE {database}")
        try:
            evens = spark.sql("SELECT * FROM evens(5) ORDER BY k")
            assert [r.k for r in evens.collect()] == [0, 2, 4]
        finally:
            spark.sql("USE default")
        spark.sql(f"DROP FUNCTION {database}.evens")
    finally:
        for name in ("below", "pairs", "upto"):
            spark.sql(f"DROP TEMPORARY FUNCTION IF EXISTS {name}")
