"""Partitioned catalog tables: INSERT ... PARTITION with static and dynamic values, which
partitions an overwrite replaces, SHOW PARTITIONS and ALTER TABLE ADD/DROP PARTITION, and
DataFrameWriterV2 (`df.writeTo`)."""

from __future__ import annotations

import pytest
from helpers import session_conf
from pyspark.errors import AnalysisException, UnsupportedOperationException
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf


def rows(spark: SparkSession, query: str) -> list[tuple]:
    return [tuple(r) for r in spark.sql(query).collect()]


def partitions(spark: SparkSession, table: str) -> list[str]:
    return [r.partition for r in spark.sql(f"SHOW PARTITIONS {table}").collect()]


@pytest.fixture
def sales(spark: SparkSession, database: str) -> str:
    table = f"{database}.sales"
    spark.sql(
        f"CREATE TABLE {table} (item STRING, qty INT, day STRING) "
        "USING parquet PARTITIONED BY (day)"
    )
    return table


def test_insert_with_static_and_dynamic_partitions(spark: SparkSession, sales: str) -> None:
    spark.sql(f"INSERT INTO {sales} PARTITION (day = '2024-01-01') VALUES ('pen', 3)")
    spark.sql(f"INSERT INTO {sales} PARTITION (day) VALUES ('ink', 1, '2024-01-02')")
    spark.sql(f"INSERT INTO {sales} PARTITION (day) SELECT 'cap', 2, '2024-01-01'")
    assert rows(spark, f"SELECT item, qty, day FROM {sales} ORDER BY item") == [
        ("cap", 2, "2024-01-01"),
        ("ink", 1, "2024-01-02"),
        ("pen", 3, "2024-01-01"),
    ]
    assert partitions(spark, sales) == ["day=2024-01-01", "day=2024-01-02"]
    assert partitions(spark, f"{sales} PARTITION (day = '2024-01-02')") == ["day=2024-01-02"]


def test_insert_overwrite_of_a_static_partition_keeps_the_others(
    spark: SparkSession, sales: str
) -> None:
    spark.sql(f"INSERT INTO {sales} VALUES ('pen', 3, 'a'), ('ink', 1, 'b')")
    spark.sql(f"INSERT INTO {sales} VALUES ('cap', 5, 'a')")
    spark.sql(f"INSERT OVERWRITE TABLE {sales} PARTITION (day = 'a') SELECT 'new', 9")
    assert rows(spark, f"SELECT item, qty, day FROM {sales} ORDER BY day, item") == [
        ("new", 9, "a"),
        ("ink", 1, "b"),
    ]


def test_overwrite_without_a_spec_replaces_every_partition_unless_dynamic(
    spark: SparkSession, sales: str
) -> None:
    spark.sql(f"INSERT INTO {sales} VALUES ('pen', 3, 'a'), ('ink', 1, 'b')")
    spark.sql(f"INSERT OVERWRITE TABLE {sales} PARTITION (day) SELECT 'cap', 2, 'b'")
    assert rows(spark, f"SELECT item, day FROM {sales}") == [("cap", "b")]
    spark.sql(f"INSERT INTO {sales} VALUES ('pen', 3, 'a')")
    with session_conf(spark, "spark.sql.sources.partitionOverwriteMode", "dynamic"):
        spark.createDataFrame(
            [("hat", 4, "b")], "item STRING, qty INT, day STRING"
        ).write.insertInto(sales, overwrite=True)
    assert rows(spark, f"SELECT item, day FROM {sales} ORDER BY day") == [
        ("pen", "a"),
        ("hat", "b"),
    ]


def test_partition_clause_errors(spark: SparkSession, database: str, sales: str) -> None:
    with pytest.raises(AnalysisException, match="PARTITIONS_NOT_FOUND"):
        spark.sql(f"INSERT INTO {sales} PARTITION (item = 'x') SELECT 1, 'd'")
    with pytest.raises(AnalysisException, match="NOT_ENOUGH_DATA_COLUMNS"):
        spark.sql(f"INSERT INTO {sales} PARTITION (day = 'd') SELECT 'x'")
    spark.sql(f"CREATE TABLE {database}.flat (id INT) USING parquet")
    with pytest.raises(AnalysisException, match="PARTITION_SCHEMA_IS_EMPTY"):
        spark.sql(f"SHOW PARTITIONS {database}.flat")


def test_alter_table_add_and_drop_partitions(spark: SparkSession, sales: str) -> None:
    spark.sql(f"INSERT INTO {sales} VALUES ('pen', 3, 'a'), ('ink', 1, 'b')")
    spark.sql(f"ALTER TABLE {sales} ADD PARTITION (day = 'c') PARTITION (day = 'd')")
    assert partitions(spark, sales) == ["day=a", "day=b", "day=c", "day=d"]
    assert spark.table(sales).count() == 2
    with pytest.raises(AnalysisException, match="PARTITIONS_ALREADY_EXIST"):
        spark.sql(f"ALTER TABLE {sales} ADD PARTITION (day = 'c')")
    spark.sql(f"ALTER TABLE {sales} ADD IF NOT EXISTS PARTITION (day = 'c')")
    spark.sql(f"ALTER TABLE {sales} DROP PARTITION (day = 'a'), PARTITION (day = 'c')")
    assert partitions(spark, sales) == ["day=b", "day=d"]
    assert rows(spark, f"SELECT item FROM {sales}") == [("ink",)]
    with pytest.raises(AnalysisException, match="PARTITIONS_NOT_FOUND"):
        spark.sql(f"ALTER TABLE {sales} DROP PARTITION (day = 'zz')")
    spark.sql(f"ALTER TABLE {sales} DROP IF EXISTS PARTITION (day = 'zz')")


def test_recover_partitions_checks_the_table(
    spark: SparkSession, database: str, sales: str
) -> None:
    spark.sql(f"INSERT INTO {sales} VALUES ('pen', 3, 'a')")
    spark.sql(f"ALTER TABLE {sales} RECOVER PARTITIONS")
    spark.sql(f"MSCK REPAIR TABLE {sales}")
    assert partitions(spark, sales) == ["day=a"]
    spark.sql(f"CREATE TABLE {database}.flat (id INT) USING parquet")
    with pytest.raises(AnalysisException):
        spark.sql(f"ALTER TABLE {database}.flat RECOVER PARTITIONS")


def test_appends_merge_into_existing_partitions(spark: SparkSession, database: str) -> None:
    table = f"{database}.events"
    frame = spark.createDataFrame([(1, "x"), (2, "y")], "id INT, kind STRING")
    frame.write.partitionBy("kind").saveAsTable(table)
    frame.write.mode("append").partitionBy("kind").saveAsTable(table)
    spark.createDataFrame([(3, "x")], "id INT, kind STRING").write.insertInto(table)
    assert rows(spark, f"SELECT kind, count(*) FROM {table} GROUP BY kind ORDER BY kind") == [
        ("x", 3),
        ("y", 2),
    ]
    assert partitions(spark, table) == ["kind=x", "kind=y"]


def test_write_to_creates(spark: SparkSession, database: str) -> None:
    table = f"{database}.people"
    people = spark.createDataFrame([(1, "ann"), (2, "bo")], "id INT, name STRING")
    people.writeTo(table).tableProperty("team", "data").create()
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        people.writeTo(table).create()
    props = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
    assert props["team"] == "data"
    people.writeTo(f"{database}.parts").using("parquet").partitionedBy("name").create()
    assert partitions(spark, f"{database}.parts") == ["name=ann", "name=bo"]
    # The built-in catalog keeps plain partition columns only (and buckets, which Ember lacks).
    dated = people.withColumn("day", sf.current_date())
    with pytest.raises(UnsupportedOperationException, match="UNSUPPORTED_PARTITION_TRANSFORM"):
        dated.writeTo(f"{database}.by_year").partitionedBy(sf.partitioning.years("day")).create()
    assert not spark.catalog.tableExists(f"{database}.by_year")


# Spark's built-in catalog refuses the writes below on its (V1) tables with "Cannot write into
# v1 table"; catalogs with V2 tables run them. Ember's catalog takes them with the V2 meaning:
# rows matched to columns by name, dynamic partition overwrite, delete-where-then-append.


def test_write_to_replaces_the_definition(spark: SparkSession, database: str) -> None:
    table = f"{database}.people"
    people = spark.createDataFrame([(1, "ann"), (2, "bo")], "id INT, name STRING")
    people.writeTo(table).partitionedBy("name").create()
    spark.createDataFrame([(7.5,)], "score DOUBLE").writeTo(table).replace()
    assert spark.table(table).columns == ["score"]
    assert rows(spark, f"SELECT * FROM {table}") == [(7.5,)]
    people.writeTo(table).createOrReplace()
    assert rows(spark, f"SELECT id, name FROM {table} ORDER BY id") == [(1, "ann"), (2, "bo")]
    with pytest.raises(AnalysisException, match="CANNOT_REPLACE_MISSING_TABLE"):
        people.writeTo(f"{database}.missing").replace()
    people.writeTo(f"{database}.fresh").createOrReplace()
    assert spark.table(f"{database}.fresh").count() == 2


def test_write_to_appends_by_name(spark: SparkSession, database: str) -> None:
    table = f"{database}.people"
    spark.createDataFrame([(1, "ann")], "id INT, name STRING").writeTo(table).create()
    spark.createDataFrame([("cy", 3)], "name STRING, id INT").writeTo(table).append()
    assert rows(spark, f"SELECT id, name FROM {table} ORDER BY id") == [(1, "ann"), (3, "cy")]
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.table(table).writeTo(f"{database}.missing").append()


def test_write_to_overwrites_by_condition_and_partition(spark: SparkSession, database: str) -> None:
    table = f"{database}.daily"
    spark.createDataFrame([(1, "a"), (2, "a"), (3, "b")], "id INT, day STRING").writeTo(
        table
    ).partitionedBy("day").create()
    assert partitions(spark, table) == ["day=a", "day=b"]
    spark.createDataFrame([(9, "a")], "id INT, day STRING").writeTo(table).overwritePartitions()
    assert rows(spark, f"SELECT id, day FROM {table} ORDER BY id") == [(3, "b"), (9, "a")]
    spark.createDataFrame([(4, "c")], "id INT, day STRING").writeTo(table).overwrite(
        sf.col("id") > 5
    )
    assert rows(spark, f"SELECT id, day FROM {table} ORDER BY id") == [(3, "b"), (4, "c")]
