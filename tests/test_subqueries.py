"""Subquery expressions: scalar(), exists() and isin(DataFrame), with outer references."""

from __future__ import annotations

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf


@pytest.fixture
def employees(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            (1, "Alice", 45000, 101),
            (2, "Bob", 54000, 101),
            (3, "Charlie", 29000, 102),
            (4, "David", 61000, 102),
            (5, "Eve", 48000, 101),
        ],
        ["employee_id", "name", "salary", "department_id"],
    )


def test_uncorrelated_scalar_subquery_in_filter(employees: DataFrame) -> None:
    average = employees.select(sf.avg("salary")).scalar()
    rows = employees.where(sf.col("salary") > average).orderBy("name").collect()
    assert [r.name for r in rows] == ["Bob", "David", "Eve"]


def test_correlated_scalar_subquery(employees: DataFrame) -> None:
    department_average = (
        employees.alias("e2")
        .where(sf.col("e2.department_id") == sf.col("e1.department_id").outer())
        .select(sf.avg("salary"))
        .scalar()
    )
    rows = employees.alias("e1").where(sf.col("salary") > department_average).orderBy("name")
    assert [r.name for r in rows.collect()] == ["Bob", "David"]


def test_scalar_subquery_in_select(employees: DataFrame) -> None:
    top = employees.select(sf.max("salary")).scalar()
    rows = employees.select("name", top.alias("top")).collect()
    assert {r.top for r in rows} == {61000}
    assert len(rows) == 5


def test_exists_and_not_exists(spark: SparkSession) -> None:
    customers = spark.createDataFrame(
        [(101, "Alice"), (102, "Bob"), (104, "David")], ["id", "name"]
    )
    orders = spark.createDataFrame([(1, 101), (2, 102), (3, 101)], ["order_id", "customer_id"])
    has_order = orders.alias("o").where(sf.col("o.customer_id") == sf.col("c.id").outer()).exists()
    with_orders = customers.alias("c").where(has_order).orderBy("id")
    without = customers.alias("c").where(~has_order).orderBy("id")
    assert [r.name for r in with_orders.collect()] == ["Alice", "Bob"]
    assert [r.name for r in without.collect()] == ["David"]


def test_isin_dataframe(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2, "Alice"), (5, "Bob"), (8, "Mike")], ["age", "name"])
    rows = df.where(df.age.isin(spark.range(6))).orderBy("age").collect()
    assert [r.name for r in rows] == ["Alice", "Bob"]


def test_sql_range_and_in_subquery_keep_outer_order(spark: SparkSession) -> None:
    rows = spark.sql("SELECT * FROM range(5) WHERE id IN (SELECT id * 2 FROM range(3))")
    assert rows.columns == ["id"]
    assert [r.id for r in rows.collect()] == [0, 2, 4]
    missing = spark.sql(
        "SELECT * FROM range(6) r WHERE NOT EXISTS (SELECT 1 FROM range(3) s WHERE s.id * 2 = r.id)"
    )
    assert [r.id for r in missing.collect()] == [1, 3, 5]
    total = spark.sql("SELECT sum(id) AS s FROM range(0, 100, 1, 4)").first()
    assert total is not None and total.s == 4950
