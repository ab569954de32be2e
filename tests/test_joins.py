"""Joins: every join type, USING-style column lists, conditions, self joins."""

from __future__ import annotations

import pytest
from helpers import sorted_rows
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


@pytest.fixture
def emp(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(1, "Ann", 10), (2, "Ben", 20), (3, "Cid", 20), (4, "Dee", None)],
        "id int, name string, dept int",
    )


@pytest.fixture
def dept(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [(10, "Sales"), (20, "Eng"), (30, "Ops")], "dept int, dept_name string"
    )


def test_inner_join_on_column_name(emp: DataFrame, dept: DataFrame) -> None:
    out = emp.join(dept, "dept")
    # A USING join puts the key first, then the other left columns, then the right ones.
    assert out.columns == ["dept", "id", "name", "dept_name"]
    assert sorted_rows(out) == [
        (10, 1, "Ann", "Sales"),
        (20, 2, "Ben", "Eng"),
        (20, 3, "Cid", "Eng"),
    ]


def test_inner_join_on_column_list(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1, "x", 1), (1, "y", 2)], ["k1", "k2", "a"])
    b = spark.createDataFrame([(1, "x", 10), (1, "z", 20)], ["k1", "k2", "b"])
    out = a.join(b, ["k1", "k2"])
    assert out.columns == ["k1", "k2", "a", "b"]
    assert sorted_rows(out) == [(1, "x", 1, 10)]


def test_left_join(emp: DataFrame, dept: DataFrame) -> None:
    out = emp.join(dept, "dept", "left").select("id", "dept_name")
    assert sorted_rows(out) == [(1, "Sales"), (2, "Eng"), (3, "Eng"), (4, None)]
    assert emp.join(dept, "dept", "left_outer").count() == 4
    assert emp.join(dept, "dept", "leftouter").count() == 4


def test_right_join(emp: DataFrame, dept: DataFrame) -> None:
    joined = emp.join(dept, "dept", "right")
    assert joined.columns == ["dept", "id", "name", "dept_name"]
    out = joined.select("dept", "id")
    assert sorted_rows(out) == [(10, 1), (20, 2), (20, 3), (30, None)]


def test_full_outer_join_coalesces_using_key(emp: DataFrame, dept: DataFrame) -> None:
    out = emp.join(dept, "dept", "full").select("dept", "name", "dept_name")
    assert sorted_rows(out) == [
        (None, "Dee", None),
        (10, "Ann", "Sales"),
        (20, "Ben", "Eng"),
        (20, "Cid", "Eng"),
        (30, None, "Ops"),
    ]
    assert emp.join(dept, "dept", "outer").count() == 5
    assert emp.join(dept, "dept", "full_outer").count() == 5


def test_semi_and_anti_joins_keep_left_columns_only(emp: DataFrame, dept: DataFrame) -> None:
    semi = emp.join(dept, "dept", "left_semi")
    assert semi.columns == ["dept", "id", "name"]
    assert sorted(r.id for r in semi.collect()) == [1, 2, 3]
    anti = emp.join(dept, "dept", "left_anti")
    assert anti.columns == ["dept", "id", "name"]
    assert [r.id for r in anti.collect()] == [4]
    assert emp.join(dept, "dept", "semi").count() == 3
    assert emp.join(dept, "dept", "anti").count() == 1


def test_semi_join_with_condition_keeps_left_schema(emp: DataFrame, dept: DataFrame) -> None:
    semi = emp.join(dept, emp["dept"] == dept["dept"], "leftsemi")
    assert semi.columns == ["id", "name", "dept"]
    assert semi.count() == 3


def test_cross_join(emp: DataFrame, dept: DataFrame) -> None:
    out = emp.crossJoin(dept)
    assert out.count() == 12
    assert out.columns == ["id", "name", "dept", "dept", "dept_name"]
    assert emp.join(dept, how="cross").count() == 12


def test_join_on_condition_keeps_both_keys(emp: DataFrame, dept: DataFrame) -> None:
    out = emp.join(dept, emp["dept"] == dept["dept"])
    assert out.columns == ["id", "name", "dept", "dept", "dept_name"]
    assert sorted_rows(out.select(emp["id"], dept["dept_name"])) == [
        (1, "Sales"),
        (2, "Eng"),
        (3, "Eng"),
    ]


def test_join_on_compound_condition(emp: DataFrame, dept: DataFrame) -> None:
    cond = (emp["dept"] == dept["dept"]) & (emp["id"] > 2)
    out = emp.join(dept, cond, "left").select(emp["id"], dept["dept_name"])
    assert sorted_rows(out) == [(1, None), (2, None), (3, "Eng"), (4, None)]


def test_join_on_non_equality_condition(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1,), (5,)], ["x"])
    b = spark.createDataFrame([(3,), (4,)], ["y"])
    assert sorted_rows(a.join(b, a["x"] < b["y"])) == [(1, 3), (1, 4)]


def test_self_join_with_aliases(spark: SparkSession) -> None:
    staff = spark.createDataFrame(
        [(1, "Boss", None), (2, "Ann", 1), (3, "Ben", 2)], "id int, name string, manager int"
    )
    e = staff.alias("e")
    m = staff.alias("m")
    out = e.join(m, F.col("e.manager") == F.col("m.id"), "left").select(
        F.col("e.name").alias("employee"), F.col("m.name").alias("manager")
    )
    assert sorted_rows(out) == [("Ann", "Boss"), ("Ben", "Ann"), ("Boss", None)]


def test_join_null_keys_never_match(spark: SparkSession) -> None:
    a = spark.createDataFrame([(None, "a"), (1, "b")], "k int, va string")
    b = spark.createDataFrame([(None, "x"), (1, "y")], "k int, vb string")
    assert sorted_rows(a.join(b, "k")) == [(1, "b", "y")]
    assert sorted_rows(a.join(b, a["k"].eqNullSafe(b["k"])).select("va", "vb")) == [
        ("a", "x"),
        ("b", "y"),
    ]
