"""Databases and managed tables in the warehouse, through SQL, the DataFrame writer and
spark.catalog. Each test works in a database of its own and drops it at the end."""

from __future__ import annotations

import pytest
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession


def test_tables_live_in_their_database(spark: SparkSession, database: str) -> None:
    users = spark.createDataFrame([(1, "ann"), (2, "bo")], "id INT, name STRING")
    users.write.saveAsTable(f"{database}.users")
    assert sorted(r.name for r in spark.table(f"{database}.users").collect()) == ["ann", "bo"]
    assert spark.read.table(f"spark_catalog.{database}.users").count() == 2
    assert spark.catalog.tableExists(f"{database}.users")
    assert not spark.catalog.tableExists("users")
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.table("users").collect()


def test_use_database_changes_where_names_resolve(spark: SparkSession, database: str) -> None:
    spark.sql(f"USE {database}")
    assert spark.catalog.currentDatabase() == database
    spark.sql("CREATE TABLE events (id BIGINT, kind STRING) USING parquet")
    spark.sql("INSERT INTO events VALUES (1, 'click'), (2, 'view')")
    spark.sql("INSERT INTO events SELECT id + 10, kind FROM events")
    rows = spark.sql("SELECT id, kind FROM events ORDER BY id").collect()
    assert [(r.id, r.kind) for r in rows] == [
        (1, "click"),
        (2, "view"),
        (11, "click"),
        (12, "view"),
    ]
    names = [r.tableName for r in spark.sql("SHOW TABLES").collect() if not r.isTemporary]
    assert names == ["events"]
    assert [t.name for t in spark.catalog.listTables() if not t.isTemporary] == ["events"]
    spark.sql("INSERT OVERWRITE events SELECT 7, 'x'")
    assert spark.table("events").collect()[0].id == 7
    spark.sql("TRUNCATE TABLE events")
    assert spark.table("events").count() == 0
    assert spark.table("events").columns == ["id", "kind"]


def test_create_table_as_select_and_errors(spark: SparkSession, database: str) -> None:
    spark.sql(f"CREATE TABLE {database}.t AS SELECT id, id * 2 AS twice FROM range(3)")
    assert spark.sql(f"SELECT sum(twice) FROM {database}.t").collect()[0][0] == 6
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        spark.sql(f"CREATE TABLE {database}.t AS SELECT 1 AS id")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {database}.t AS SELECT 1 AS id")
    assert spark.table(f"{database}.t").count() == 3
    described = spark.sql(f"DESCRIBE TABLE {database}.t").collect()
    assert [(r.col_name, r.data_type) for r in described] == [("id", "bigint"), ("twice", "bigint")]
    spark.sql(f"DROP TABLE {database}.t")
    assert not spark.catalog.tableExists(f"{database}.t")
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.sql(f"DROP TABLE {database}.t")
    spark.sql(f"DROP TABLE IF EXISTS {database}.t")


def test_database_errors(spark: SparkSession, database: str) -> None:
    with pytest.raises(AnalysisException, match="SCHEMA_ALREADY_EXISTS"):
        spark.sql(f"CREATE DATABASE {database}")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    with pytest.raises(AnalysisException, match="SCHEMA_NOT_FOUND"):
        spark.sql("USE no_such_database_here")
    spark.range(2).write.saveAsTable(f"{database}.numbers")
    with pytest.raises(AnalysisException, match="SCHEMA_NOT_EMPTY"):
        spark.sql(f"DROP DATABASE {database}")
    assert database in [r.namespace for r in spark.sql("SHOW DATABASES").collect()]
    assert spark.catalog.databaseExists(database)
    assert database in [d.name for d in spark.catalog.listDatabases()]


def test_set_current_database_through_the_catalog(spark: SparkSession, database: str) -> None:
    spark.catalog.setCurrentDatabase(database)
    spark.createDataFrame([(1,)], "x INT").write.mode("overwrite").saveAsTable("only_here")
    spark.catalog.setCurrentDatabase("default")
    assert spark.table(f"{database}.only_here").collect()[0].x == 1
    assert not spark.catalog.tableExists("only_here")


def test_temp_views_in_sql(spark: SparkSession) -> None:
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW small AS SELECT id FROM range(3)")
    assert spark.sql("SELECT count(*) FROM small").collect()[0][0] == 3
    spark.sql("CREATE OR REPLACE GLOBAL TEMPORARY VIEW shared AS SELECT 1 AS one")
    assert spark.sql("SELECT one FROM global_temp.shared").collect()[0].one == 1
    spark.sql("DROP VIEW small")
    spark.sql("DROP VIEW global_temp.shared")
    assert not spark.catalog.tableExists("small")


def test_set_and_reset(spark: SparkSession) -> None:
    spark.sql("SET spark.sql.shuffle.partitions=7")
    assert spark.conf.get("spark.sql.shuffle.partitions") == "7"
    row = spark.sql("SET spark.sql.shuffle.partitions").collect()[0]
    assert (row.key, row.value) == ("spark.sql.shuffle.partitions", "7")
    spark.sql("RESET spark.sql.shuffle.partitions")
    assert spark.conf.get("spark.sql.shuffle.partitions") == "200"


def test_external_tables_keep_their_data(spark: SparkSession, database: str, tmp_path) -> None:
    location = tmp_path / "people"
    spark.sql(
        f"CREATE TABLE {database}.people (name STRING, age INT) USING csv "
        f"OPTIONS (header 'true') LOCATION '{location}'"
    )
    spark.sql(f"INSERT INTO {database}.people VALUES ('ann', 31), ('bo', 42)")
    rows = spark.sql(f"SELECT name, age FROM {database}.people ORDER BY age").collect()
    assert [(r.name, r.age) for r in rows] == [("ann", 31), ("bo", 42)]
    table = spark.catalog.getTable(f"{database}.people")
    assert (table.name, table.tableType, table.namespace) == ("people", "EXTERNAL", [database])
    spark.sql(f"DROP TABLE {database}.people")
    assert not spark.catalog.tableExists(f"{database}.people")
    assert any(p.name.endswith(".csv") for p in location.iterdir())


def test_persistent_views(spark: SparkSession, database: str) -> None:
    spark.range(5).write.saveAsTable(f"{database}.numbers")
    spark.sql(f"CREATE VIEW {database}.evens AS SELECT id FROM {database}.numbers WHERE id % 2 = 0")
    assert [r.id for r in spark.table(f"{database}.evens").orderBy("id").collect()] == [0, 2, 4]
    assert spark.catalog.getTable(f"{database}.evens").tableType == "VIEW"
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        spark.sql(f"CREATE VIEW {database}.evens AS SELECT 1")
    spark.sql(f"CREATE OR REPLACE VIEW {database}.evens AS SELECT 2 AS id")
    assert spark.table(f"{database}.evens").collect()[0].id == 2
    spark.sql(f"DROP VIEW {database}.evens")
    assert not spark.catalog.tableExists(f"{database}.evens")


def test_cache_marks_and_catalog_lookups(spark: SparkSession, database: str) -> None:
    spark.range(3).write.saveAsTable(f"{database}.small")
    spark.catalog.cacheTable(f"{database}.small")
    assert spark.catalog.isCached(f"{database}.small")
    spark.catalog.uncacheTable(f"{database}.small")
    assert not spark.catalog.isCached(f"{database}.small")
    with pytest.raises(AnalysisException):
        spark.catalog.isCached(f"{database}.missing")
    assert spark.catalog.getDatabase(database).name == database
    assert [c.name for c in spark.catalog.listCatalogs()] == ["spark_catalog"]
    assert spark.catalog.functionExists("abs")
    assert not spark.catalog.functionExists("no_such_function_here")


def test_cached_table_reads_back_under_its_names(spark: SparkSession, database: str) -> None:
    name = f"{database}.kept"
    spark.createDataFrame([(1, "a"), (2, "b")], "v int, s string").write.saveAsTable(name)
    spark.sql(f"CACHE TABLE {name}")
    assert spark.table(name).dtypes == [("v", "int"), ("s", "string")]
    assert sorted(spark.table(name).collect()) == [(1, "a"), (2, "b")]
    both = spark.sql(f"SELECT k.v, o.s FROM {name} k JOIN {name} o ON k.v = o.v ORDER BY k.v")
    assert both.collect() == [(1, "a"), (2, "b")]
    spark.sql(f"INSERT INTO {name} VALUES (3, 'c')")
    assert spark.table(name).count() == 3  # a write through the catalog refreshes it
    spark.sql(f"UNCACHE TABLE {name}")


def test_table_valued_functions(spark: SparkSession) -> None:
    assert [r.id for r in spark.tvf.range(1, 4).collect()] == [1, 2, 3]
    assert [r.col for r in spark.sql("SELECT * FROM explode(array(5, 6))").collect()] == [5, 6]


def test_insert_with_a_column_list(spark: SparkSession, database: str) -> None:
    spark.sql(f"CREATE TABLE {database}.people (id INT, name STRING, age INT) USING parquet")
    spark.sql(f"INSERT INTO {database}.people (name, id) VALUES ('ann', 1), ('bo', 2)")
    spark.sql(f"INSERT INTO {database}.people (age, id, name) SELECT 40, 3, 'cy'")
    rows = spark.sql(f"SELECT id, name, age FROM {database}.people ORDER BY id").collect()
    assert [tuple(r) for r in rows] == [(1, "ann", None), (2, "bo", None), (3, "cy", 40)]
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        spark.sql(f"INSERT INTO {database}.people (nope) VALUES (1)")


def test_alter_table_rename_moves_the_table(spark: SparkSession, database: str) -> None:
    spark.createDataFrame([(1, "a")], "id INT, s STRING").write.saveAsTable(f"{database}.old")
    spark.sql(f"ALTER TABLE {database}.old RENAME TO {database}.new")
    assert [tuple(r) for r in spark.table(f"{database}.new").collect()] == [(1, "a")]
    assert not spark.catalog.tableExists(f"{database}.old")
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.sql(f"ALTER TABLE {database}.missing RENAME TO {database}.other")


def test_alter_table_properties(spark: SparkSession, database: str) -> None:
    spark.sql(f"CREATE TABLE {database}.t (id INT) USING parquet TBLPROPERTIES ('team' = 'ann')")
    spark.sql(f"ALTER TABLE {database}.t SET TBLPROPERTIES ('stage' = 'gold', 'team' = 'bo')")
    rows = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES {database}.t").collect()}
    assert rows["team"] == "bo" and rows["stage"] == "gold"
    spark.sql(f"ALTER TABLE {database}.t UNSET TBLPROPERTIES ('stage')")
    one = spark.sql(f"SHOW TBLPROPERTIES {database}.t ('stage')").collect()
    assert one[0].value.endswith("does not have property: stage")
    # Keys the table does not have are ignored.
    spark.sql(f"ALTER TABLE {database}.t UNSET TBLPROPERTIES ('nope')")
    spark.sql(f"ALTER TABLE {database}.t UNSET TBLPROPERTIES IF EXISTS ('nope')")
    rows = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES {database}.t").collect()}
    assert rows["team"] == "bo" and "stage" not in rows


def test_alter_table_add_columns(spark: SparkSession, database: str) -> None:
    spark.sql(f"CREATE TABLE {database}.t (id INT) USING parquet")
    spark.sql(f"INSERT INTO {database}.t VALUES (1)")
    spark.sql(f"ALTER TABLE {database}.t ADD COLUMNS (note STRING, score DOUBLE)")
    assert spark.table(f"{database}.t").columns == ["id", "note", "score"]
    spark.sql(f"INSERT INTO {database}.t VALUES (2, 'x', 1.5)")
    rows = spark.sql(f"SELECT * FROM {database}.t ORDER BY id").collect()
    assert [tuple(r) for r in rows] == [(1, None, None), (2, "x", 1.5)]
    with pytest.raises(AnalysisException, match="COLUMN_ALREADY_EXISTS"):
        spark.sql(f"ALTER TABLE {database}.t ADD COLUMNS (id INT)")


def test_show_create_table(spark: SparkSession, database: str, tmp_path) -> None:
    spark.sql(
        f"CREATE TABLE {database}.t (id INT, name STRING NOT NULL, `odd col` DOUBLE, p STRING) "
        "USING parquet PARTITIONED BY (p) COMMENT 'hi' TBLPROPERTIES ('b'='2', 'a'='1')"
    )
    text = spark.sql(f"SHOW CREATE TABLE {database}.t").collect()[0].createtab_stmt
    assert text == (
        f"CREATE TABLE spark_catalog.{database}.t (\n  id INT,\n  name STRING,\n"
        "  `odd col` DOUBLE,\n  p STRING)\nUSING parquet\nPARTITIONED BY (p)\nCOMMENT 'hi'\n"
        "TBLPROPERTIES (\n  'a' = '1',\n  'b' = '2')\n"
    )
    spark.sql(
        f"CREATE TABLE {database}.c (a BIGINT, m MAP<STRING, INT>, "
        "s STRUCT<x: INT, y: ARRAY<STRING>>, d DECIMAL(10,2)) "
        "USING parquet OPTIONS (compression 'snappy')"
    )
    assert spark.sql(f"SHOW CREATE TABLE {database}.c").collect()[0][0] == (
        f"CREATE TABLE spark_catalog.{database}.c (\n  a BIGINT,\n  m MAP<STRING, INT>,\n"
        "  s STRUCT<x: INT, y: ARRAY<STRING>>,\n  d DECIMAL(10,2))\nUSING parquet\n"
        "OPTIONS (\n  'compression' = 'snappy')\n"
    )
    spark.sql(f"CREATE VIEW {database}.v AS SELECT id, name FROM {database}.t WHERE id > 1")
    assert spark.sql(f"SHOW CREATE TABLE {database}.v").collect()[0][0] == (
        f"CREATE VIEW {database}.v (\n  id,\n  name)\nWITH SCHEMA COMPENSATION\n"
        f"AS SELECT id, name FROM {database}.t WHERE id > 1\n"
    )
    location = tmp_path / "external"
    spark.sql(f"CREATE TABLE {database}.e (a INT) USING json LOCATION '{location}'")
    assert spark.sql(f"SHOW CREATE TABLE {database}.e").collect()[0][0] == (
        f"CREATE TABLE spark_catalog.{database}.e (\n  a INT)\nUSING json\n"
        f"LOCATION 'file:{location}'\n"
    )
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.sql(f"SHOW CREATE TABLE {database}.missing")


def test_database_with_a_location_keeps_its_tables_there(spark: SparkSession, tmp_path) -> None:
    location = tmp_path / "lake"
    spark.sql(f"CREATE DATABASE located LOCATION '{location}'")
    try:
        spark.createDataFrame([(1, "a")], "id INT, s STRING").write.saveAsTable("located.t")
        assert [tuple(r) for r in spark.table("located.t").collect()] == [(1, "a")]
        assert (location / "t").is_dir()
        info = {r.info_name: r.info_value for r in spark.sql("DESCRIBE DATABASE located").collect()}
        assert info["Location"] == f"file:{location}"
    finally:
        spark.sql("DROP DATABASE IF EXISTS located CASCADE")
    assert not spark.catalog.databaseExists("located")


def test_drop_temporary_function(spark: SparkSession) -> None:
    spark.udf.register("plus_one_tmp", lambda x: x + 1, "int")
    assert spark.sql("SELECT plus_one_tmp(1)").first()[0] == 2
    spark.sql("DROP TEMPORARY FUNCTION plus_one_tmp")
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql("SELECT plus_one_tmp(1)").collect()
    with pytest.raises(AnalysisException, match="ROUTINE_NOT_FOUND"):
        spark.sql("DROP TEMPORARY FUNCTION plus_one_tmp")
    spark.sql("DROP TEMPORARY FUNCTION IF EXISTS plus_one_tmp")
