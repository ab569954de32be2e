"""Session-level behaviour: version, configuration, temp views and the catalog, isolation between
sessions, schemas, and ``ember submit`` running the example job."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import REMOTE_ENV, rows, sorted_rows
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

REPO = Path(__file__).resolve().parent.parent


# Sessions the tests stopped, kept until the interpreter exits. A stopped session sits in a
# reference cycle, so the garbage collector would finalize it at some allocation in any
# thread; its finalizer shuts the client's shared release thread pool down, which hangs when
# that thread is a pool thread inside a gRPC call.
_STOPPED_SESSIONS: list[SparkSession] = []


@pytest.fixture
def other_session(remote_url: str) -> Iterator[SparkSession]:
    """A second, independent session on the same server."""
    session = SparkSession.builder.remote(remote_url).create()
    yield session
    session.stop()
    _STOPPED_SESSIONS.append(session)


def test_version(spark: SparkSession) -> None:
    assert isinstance(spark.version, str)
    assert spark.version.startswith("4")


def test_conf_set_get_unset(spark: SparkSession) -> None:
    key = "spark.sql.shuffle.partitions"
    assert spark.conf.get(key) == "200"
    spark.conf.set(key, 7)
    try:
        assert spark.conf.get(key) == "7"
    finally:
        spark.conf.unset(key)
    assert spark.conf.get(key) == "200"


def test_conf_custom_key_and_default(spark: SparkSession) -> None:
    key = "ember.test.custom.key"
    assert spark.conf.get(key, "fallback") == "fallback"
    spark.conf.set(key, "value")
    assert spark.conf.get(key) == "value"
    assert spark.conf.isModifiable("spark.sql.shuffle.partitions")
    spark.conf.unset(key)
    assert spark.conf.get(key, "fallback") == "fallback"


def test_spark_4_defaults(spark: SparkSession) -> None:
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    assert spark.conf.get("spark.sql.caseSensitive") == "false"


# Settings that 4.0-4.2 clients read (and convert with int()) before createDataFrame; a
# missing one fails their first createDataFrame with SQL_CONF_NOT_FOUND. Values are Spark's.
CLIENT_READ_SETTINGS = {
    "spark.sql.session.localRelationSizeLimit": 3221225472,
    "spark.sql.session.localRelationChunkSizeRows": 10000,
    "spark.sql.session.localRelationChunkSizeBytes": 16777216,
    "spark.sql.session.localRelationBatchOfChunksSizeBytes": 1073741824,
    "spark.sql.cteRecursionLevelLimit": 100,
}


def test_settings_newer_clients_read(spark: SparkSession) -> None:
    for key, value in CLIENT_READ_SETTINGS.items():
        setting = spark.conf.get(key)
        # Spark 4.1's server writes byte sizes with a `b` suffix, which 4.2 clients cannot
        # read; Spark 4.2's (and Ember's) give the plain number.
        assert setting is not None and int(setting.removesuffix("b")) == value, key
    assert int(spark.conf.get("spark.sql.session.localRelationCacheThreshold") or "0") > 0


def test_temp_view_and_table(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a"), (2, "b")], ["id", "v"])
    df.createOrReplaceTempView("session_people")
    try:
        assert sorted_rows(spark.table("session_people")) == [(1, "a"), (2, "b")]
        assert rows(spark.sql("SELECT v FROM session_people WHERE id = 2")) == [("b",)]
        # Replacing the view changes what the name refers to.
        df.filter("id = 1").createOrReplaceTempView("session_people")
        assert spark.table("session_people").count() == 1
    finally:
        spark.catalog.dropTempView("session_people")


def test_catalog_tables(spark: SparkSession) -> None:
    spark.range(3).createOrReplaceTempView("session_catalog_view")
    tables = {t.name: t for t in spark.catalog.listTables()}
    assert "session_catalog_view" in tables
    assert tables["session_catalog_view"].isTemporary
    assert tables["session_catalog_view"].tableType == "TEMPORARY"
    assert spark.catalog.tableExists("session_catalog_view")
    assert spark.catalog.dropTempView("session_catalog_view") is True
    assert not spark.catalog.tableExists("session_catalog_view")
    assert spark.catalog.dropTempView("session_catalog_view") is False


def test_create_temp_view_fails_if_it_exists(spark: SparkSession) -> None:
    spark.range(1).createTempView("session_unique_view")
    try:
        with pytest.raises(AnalysisException) as info:
            spark.range(2).createTempView("session_unique_view")
        assert info.value.getCondition() == "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"
    finally:
        spark.catalog.dropTempView("session_unique_view")


def test_sessions_do_not_share_temp_views(spark: SparkSession, other_session: SparkSession) -> None:
    spark.range(2).createOrReplaceTempView("session_private_view")
    try:
        assert spark.catalog.tableExists("session_private_view")
        assert not other_session.catalog.tableExists("session_private_view")
        with pytest.raises(AnalysisException):
            other_session.table("session_private_view").collect()
        other_session.range(5).createOrReplaceTempView("session_private_view")
        assert other_session.table("session_private_view").count() == 5
        assert spark.table("session_private_view").count() == 2
    finally:
        spark.catalog.dropTempView("session_private_view")


def test_sessions_do_not_share_conf(spark: SparkSession, other_session: SparkSession) -> None:
    other_session.conf.set("spark.sql.shuffle.partitions", "3")
    assert spark.conf.get("spark.sql.shuffle.partitions") == "200"


def test_schema_of_many_types(spark: SparkSession) -> None:
    ddl = (
        "i int, l bigint, d double, s string, b boolean, dt date, ts timestamp, "
        "dec decimal(10,2), arr array<int>, m map<string,int>, st struct<x:int,y:string>"
    )
    row = (
        1,
        2**40,
        1.5,
        "s",
        True,
        datetime.date(2024, 3, 1),
        datetime.datetime(2024, 3, 1, 12, 30),
        Decimal("3.14"),
        [1, 2],
        {"k": 1},
        (7, "y"),
    )
    df = spark.createDataFrame([row], ddl)
    assert df.schema == StructType(
        [
            StructField("i", IntegerType()),
            StructField("l", LongType()),
            StructField("d", DoubleType()),
            StructField("s", StringType()),
            StructField("b", BooleanType()),
            StructField("dt", DateType()),
            StructField("ts", TimestampType()),
            StructField("dec", DecimalType(10, 2)),
            StructField("arr", ArrayType(IntegerType())),
            StructField("m", MapType(StringType(), IntegerType())),
            StructField(
                "st",
                StructType([StructField("x", IntegerType()), StructField("y", StringType())]),
            ),
        ]
    )
    got = df.first()
    assert got is not None
    assert got.dec == Decimal("3.14")
    assert got.arr == [1, 2]
    assert got.m == {"k": 1}
    assert (got.st.x, got.st.y) == (7, "y")
    assert df.select("st.y").first() == ("y",)


@pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)), reason="ember submit starts its own embedded server"
)
def test_ember_submit_runs_the_example(tmp_path: Path) -> None:
    events = tmp_path / "events"
    out = tmp_path / "daily_metrics"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ember",
            "submit",
            str(REPO / "examples" / "saas_etl.py"),
            str(events),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert events.is_dir()
    assert list(out.glob("*.parquet"))
    # 3 days x 4 event types
    assert "wrote 12 rows to" in result.stdout
    assert "|event_date|event_type|events|users|" in result.stdout.replace(" ", "")


def test_submit_returns_the_scripts_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text(
        "import os, sys\n"
        "assert os.environ['SPARK_REMOTE'].startswith('sc://127.0.0.1:')\n"
        "print(sys.argv[1:])\n"
        "sys.exit(3)\n"
    )
    if os.environ.get(REMOTE_ENV):
        pytest.skip("ember submit starts its own embedded server")
    result = subprocess.run(
        [sys.executable, "-m", "ember", "submit", str(script), "a", "--flag"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert "['a', '--flag']" in result.stdout
