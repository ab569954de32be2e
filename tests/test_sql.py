"""Spark SQL text through Ember's own front end: each case is a query and the rows Apache
Spark 4.1.1 returns for it, over the small tables the fixture registers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import SparkSession


@pytest.fixture(scope="module", autouse=True)
def tables(spark: SparkSession) -> Iterator[None]:
    spark.createDataFrame(
        [
            (1, "Alice", "eng", 100, date(2024, 1, 5)),
            (2, "Bob", "eng", 80, date(2024, 2, 10)),
            (3, "Cara", "ops", 70, date(2024, 2, 20)),
            (4, "Dan", "ops", None, date(2024, 3, 1)),
            (5, "Eve", "sales", 90, date(2024, 3, 15)),
        ],
        "id INT, name STRING, dept STRING, salary INT, hired DATE",
    ).createOrReplaceTempView("staff")
    spark.createDataFrame(
        [("eng", "Engineering"), ("ops", "Operations"), ("hr", "People")],
        "dept STRING, title STRING",
    ).createOrReplaceTempView("depts")
    yield
    spark.catalog.dropTempView("staff")
    spark.catalog.dropTempView("depts")


def run(spark: SparkSession, query: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in spark.sql(query).collect()]


CASES: list[tuple[str, list[tuple[Any, ...]]]] = [
    # Projection, filters, ordering, limits.
    ("SELECT name FROM staff WHERE salary > 80 ORDER BY name", [("Alice",), ("Eve",)]),
    ("SELECT id FROM staff ORDER BY id DESC LIMIT 2", [(5,), (4,)]),
    ("SELECT id FROM staff ORDER BY id LIMIT 2 OFFSET 1", [(2,), (3,)]),
    ("SELECT name FROM staff ORDER BY salary DESC NULLS LAST LIMIT 1", [("Alice",)]),
    ("SELECT name FROM staff ORDER BY salary LIMIT 1", [("Dan",)]),
    ("SELECT name, salary FROM staff ORDER BY 2 DESC, 1 LIMIT 2", [("Alice", 100), ("Eve", 90)]),
    ("SELECT name AS n FROM staff ORDER BY n DESC LIMIT 1", [("Eve",)]),
    ("SELECT name FROM staff ORDER BY id * -1 LIMIT 1", [("Eve",)]),
    ("SELECT DISTINCT dept FROM staff ORDER BY dept", [("eng",), ("ops",), ("sales",)]),
    ("SELECT 1 + 2, 'a' || 'b', 7 DIV 2, 7 % 3", [(3, "ab", 3, 1)]),
    ("SELECT id FROM staff WHERE name RLIKE '^[AB]' ORDER BY id", [(1,), (2,)]),
    ("SELECT id FROM staff WHERE name LIKE '_a%' ORDER BY id", [(3,), (4,)]),
    ("SELECT id FROM staff WHERE salary IS NULL", [(4,)]),
    ("SELECT id FROM staff WHERE salary BETWEEN 75 AND 95 ORDER BY id", [(2,), (5,)]),
    ("SELECT id FROM staff WHERE dept IN ('ops', 'hr') ORDER BY id", [(3,), (4,)]),
    ("SELECT NULL <=> NULL, 1 <=> NULL, 2 IS DISTINCT FROM 2", [(True, False, False)]),
    (
        "SELECT CASE WHEN salary >= 90 THEN 'high' WHEN salary IS NULL THEN 'none' "
        "ELSE 'low' END AS band FROM staff ORDER BY id",
        [("high",), ("low",), ("low",), ("none",), ("high",)],
    ),
    ("SELECT CAST('7' AS INT) + 1, TRY_CAST('x' AS INT), '5'::INT", [(8, None, 5)]),
    # Typed literals and intervals.
    ("SELECT DATE '2024-02-28' + INTERVAL '2' DAY", [(date(2024, 3, 1),)]),
    ("SELECT DATE '2024-01-31' + INTERVAL '1' MONTH", [(date(2024, 2, 29),)]),
    ("SELECT X'4142', 10L, 1.50", [(bytearray(b"AB"), 10, Decimal("1.50"))]),
    ("SELECT date_trunc('month', DATE '2024-02-15')", [(datetime(2024, 2, 1),)]),
    (
        "SELECT EXTRACT(YEAR FROM DATE '2024-05-06'), SUBSTRING('Spark' FROM 2 FOR 3)",
        [(2024, "par")],
    ),
    # Aggregation.
    (
        "SELECT dept, count(*) AS n, sum(salary) FROM staff GROUP BY dept ORDER BY dept",
        [("eng", 2, 180), ("ops", 2, 70), ("sales", 1, 90)],
    ),
    (
        "SELECT dept, max(salary) FROM staff GROUP BY 1 ORDER BY 1",
        [("eng", 100), ("ops", 70), ("sales", 90)],
    ),
    (
        "SELECT dept, min(id) FROM staff GROUP BY ALL ORDER BY dept",
        [("eng", 1), ("ops", 3), ("sales", 5)],
    ),
    (
        "SELECT dept AS d, count(*) FROM staff GROUP BY d HAVING count(*) > 1 ORDER BY d",
        [("eng", 2), ("ops", 2)],
    ),
    (
        "SELECT dept FROM staff GROUP BY dept ORDER BY sum(salary) DESC",
        [("eng",), ("sales",), ("ops",)],
    ),
    ("SELECT count(DISTINCT dept), count(salary), count(*) FROM staff", [(3, 4, 5)]),
    (
        "SELECT dept, count(*) FROM staff GROUP BY ROLLUP(dept) ORDER BY dept NULLS LAST",
        [("eng", 2), ("ops", 2), ("sales", 1), (None, 5)],
    ),
    (
        "SELECT dept, year(hired) AS y, count(*) FROM staff "
        "GROUP BY GROUPING SETS ((dept), (year(hired))) ORDER BY dept NULLS LAST, y",
        [("eng", None, 2), ("ops", None, 2), ("sales", None, 1), (None, 2024, 5)],
    ),
    # Joins.
    (
        "SELECT s.name, d.title FROM staff s JOIN depts d ON s.dept = d.dept ORDER BY s.id",
        [
            ("Alice", "Engineering"),
            ("Bob", "Engineering"),
            ("Cara", "Operations"),
            ("Dan", "Operations"),
        ],
    ),
    (
        "SELECT name, title FROM staff LEFT JOIN depts USING (dept) WHERE title IS NULL",
        [("Eve", None)],
    ),
    ("SELECT d.dept FROM depts d LEFT ANTI JOIN staff s ON d.dept = s.dept", [("hr",)]),
    (
        "SELECT d.dept FROM depts d LEFT SEMI JOIN staff s ON d.dept = s.dept ORDER BY 1",
        [("eng",), ("ops",)],
    ),
    (
        "SELECT count(*) FROM staff, depts WHERE staff.dept = depts.dept AND depts.title LIKE 'O%'",
        [(2,)],
    ),
    ("SELECT count(*) FROM staff CROSS JOIN depts", [(15,)]),
    (
        "SELECT coalesce(s.dept, d.dept) AS k FROM (SELECT DISTINCT dept FROM staff) s "
        "FULL OUTER JOIN depts d ON s.dept = d.dept ORDER BY k",
        [("eng",), ("hr",), ("ops",), ("sales",)],
    ),
    # Subqueries and CTEs.
    ("SELECT name FROM staff WHERE salary = (SELECT max(salary) FROM staff)", [("Alice",)]),
    (
        "SELECT name FROM staff s WHERE salary > (SELECT avg(salary) FROM staff t "
        "WHERE t.dept = s.dept) ORDER BY name",
        [("Alice",)],
    ),
    (
        "SELECT title FROM depts d WHERE EXISTS (SELECT 1 FROM staff s WHERE s.dept = d.dept) "
        "ORDER BY title",
        [("Engineering",), ("Operations",)],
    ),
    ("SELECT title FROM depts WHERE dept NOT IN (SELECT dept FROM staff)", [("People",)]),
    (
        "WITH top AS (SELECT * FROM staff WHERE salary >= 90), "
        "n AS (SELECT count(*) AS c FROM top) SELECT c FROM n",
        [(2,)],
    ),
    ("SELECT x FROM (SELECT id * 10 AS x FROM staff) AS t WHERE x > 30 ORDER BY x", [(40,), (50,)]),
    ("SELECT a, b FROM (SELECT id, name FROM staff WHERE id = 1) AS t(a, b)", [(1, "Alice")]),
    # Set operations and VALUES.
    (
        "SELECT dept FROM staff UNION SELECT dept FROM depts ORDER BY 1",
        [("eng",), ("hr",), ("ops",), ("sales",)],
    ),
    ("SELECT count(*) FROM (SELECT dept FROM staff UNION ALL SELECT dept FROM depts)", [(8,)]),
    ("SELECT dept FROM depts EXCEPT SELECT dept FROM staff", [("hr",)]),
    ("SELECT dept FROM depts INTERSECT SELECT dept FROM staff ORDER BY dept", [("eng",), ("ops",)]),
    ("SELECT * FROM VALUES (1, 'a'), (2, 'b') AS v(n, s) ORDER BY n DESC", [(2, "b"), (1, "a")]),
    ("SELECT col1, col2 FROM VALUES (1, 'x')", [(1, "x")]),
    ("SELECT sum(id) FROM range(5)", [(10,)]),
    ("SELECT count(*) FROM range(2, 12, 3)", [(4,)]),
    # Windows.
    (
        "SELECT name, rank() OVER (PARTITION BY dept ORDER BY salary DESC) AS r FROM staff "
        "WHERE dept = 'eng' ORDER BY r",
        [("Alice", 1), ("Bob", 2)],
    ),
    (
        "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM staff "
        "ORDER BY id",
        [(1, 1), (2, 3), (3, 5), (4, 7), (5, 9)],
    ),
    (
        "SELECT id, row_number() OVER w AS rn FROM staff WINDOW w AS (ORDER BY id DESC) "
        "ORDER BY id LIMIT 2",
        [(1, 5), (2, 4)],
    ),
    (
        "SELECT name FROM (SELECT name, row_number() OVER (PARTITION BY dept ORDER BY id) AS rn "
        "FROM staff) WHERE rn = 1 ORDER BY name",
        [("Alice",), ("Cara",), ("Eve",)],
    ),
    # Generators and higher-order functions.
    (
        "SELECT id, x FROM staff LATERAL VIEW explode(array(id, id * 10)) t AS x WHERE id < 3 "
        "ORDER BY id, x",
        [(1, 1), (1, 10), (2, 2), (2, 20)],
    ),
    ("SELECT transform(array(1, 2, 3), x -> x * 2)", [([2, 4, 6],)]),
    # NATURAL joins match on every shared name.
    (
        "SELECT * FROM staff NATURAL JOIN depts ORDER BY id",
        [
            ("eng", 1, "Alice", 100, date(2024, 1, 5), "Engineering"),
            ("eng", 2, "Bob", 80, date(2024, 2, 10), "Engineering"),
            ("ops", 3, "Cara", 70, date(2024, 2, 20), "Operations"),
            ("ops", 4, "Dan", None, date(2024, 3, 1), "Operations"),
        ],
    ),
    ("SELECT count(*) FROM staff NATURAL LEFT JOIN depts WHERE title IS NULL", [(1,)]),
    # PIVOT groups by the columns it does not use.
    (
        "SELECT * FROM (SELECT dept, salary, year(hired) AS y FROM staff) "
        "PIVOT (sum(salary) FOR dept IN ('eng', 'ops' AS o)) ORDER BY y",
        [(2024, 180, 70)],
    ),
    (
        "SELECT * FROM (SELECT dept, salary FROM staff) "
        "PIVOT (max(salary) AS m, count(salary) AS c FOR dept IN ('eng', 'sales'))",
        [(100, 2, 90, 1)],
    ),
    # `* EXCEPT`, LIKE ANY / ALL, IDENTIFIER().
    ("SELECT * EXCEPT (salary, hired) FROM staff WHERE id = 1", [(1, "Alice", "eng")]),
    (
        "SELECT s.* EXCEPT (id) FROM staff s WHERE id = 2",
        [("Bob", "eng", 80, date(2024, 2, 10))],
    ),
    (
        "SELECT name FROM staff WHERE name LIKE ANY ('A%', '%e') ORDER BY name",
        [("Alice",), ("Eve",)],
    ),
    (
        "SELECT name FROM staff WHERE name NOT LIKE ANY ('A%', '%e') ORDER BY name",
        [("Bob",), ("Cara",), ("Dan",), ("Eve",)],
    ),
    ("SELECT name FROM staff WHERE name LIKE ALL ('A%', '%e') ORDER BY name", [("Alice",)]),
    (
        "SELECT name FROM staff WHERE name ILIKE ANY ('a%', 'b%') ORDER BY name",
        [("Alice",), ("Bob",)],
    ),
    ("SELECT IDENTIFIER('name') FROM IDENTIFIER('staff') WHERE id = 1", [("Alice",)]),
    # An interval string carries its own units.
    (
        "SELECT INTERVAL '1 day' = INTERVAL 1 DAY, "
        "INTERVAL '2 hours 3 minutes' = INTERVAL '123' MINUTE",
        [(True, True)],
    ),
    # TABLESAMPLE.
    ("SELECT id FROM staff TABLESAMPLE (2 ROWS)", [(1,), (2,)]),
    ("SELECT count(*) FROM staff TABLESAMPLE (100 PERCENT)", [(5,)]),
    ("SELECT count(*) FROM staff TABLESAMPLE (0 PERCENT)", [(0,)]),
    # UNPIVOT keeps the unlisted columns as ids and drops NULL values unless told.
    (
        "SELECT * FROM (SELECT * FROM VALUES (1, 10, NULL), (2, NULL, 5) AS t(id, a, b)) "
        "UNPIVOT (v FOR k IN (a, b AS bee)) ORDER BY id, k",
        [(1, "a", 10), (2, "bee", 5)],
    ),
    (
        "SELECT id, k, v FROM (SELECT * FROM VALUES (1, 10, NULL) AS t(id, a, b)) "
        "UNPIVOT INCLUDE NULLS (v FOR k IN (a, b)) ORDER BY k",
        [(1, "a", 10), (1, "b", None)],
    ),
    # Sorting the unpivoted rows of a grouped query by key and name.
    (
        "SELECT * FROM (SELECT dept, CAST(count(*) AS BIGINT) AS n, CAST(max(id) AS BIGINT) AS top "
        "FROM staff GROUP BY dept) UNPIVOT (v FOR k IN (n, top)) ORDER BY dept, k",
        [
            ("eng", "n", 2),
            ("eng", "top", 2),
            ("ops", "n", 2),
            ("ops", "top", 4),
            ("sales", "n", 1),
            ("sales", "top", 5),
        ],
    ),
    # Recursive CTEs.
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
        "SELECT sum(n), count(*) FROM r",
        [(15, 5)],
    ),
    (
        "WITH RECURSIVE chain AS (SELECT 1 AS id, 0 AS depth UNION ALL "
        "SELECT c.id + 1, c.depth + 1 FROM chain c WHERE c.id < 3) "
        "SELECT * FROM chain ORDER BY id",
        [(1, 0), (2, 1), (3, 2)],
    ),
    ("WITH RECURSIVE a AS (SELECT 1 AS x) SELECT * FROM a", [(1,)]),
    # A recursion that would never end still answers a LIMIT; MAX RECURSION LEVEL raises
    # the session's limit for one CTE.
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r LIMIT 3",
        [(1,), (2,), (3,)],
    ),
    (
        "WITH RECURSIVE r(n) MAX RECURSION LEVEL 300 AS "
        "(SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 250) SELECT max(n) FROM r",
        [(250,)],
    ),
    # LATERAL subqueries see the columns to their left.
    (
        "SELECT s.name, l.c FROM staff s JOIN LATERAL "
        "(SELECT count(*) AS c FROM staff t WHERE t.dept = s.dept) l ORDER BY s.id",
        [("Alice", 2), ("Bob", 2), ("Cara", 2), ("Dan", 2), ("Eve", 1)],
    ),
    # A LATERAL subquery that only computes from the outer row, with or without a name.
    (
        "SELECT s.id, l.* FROM staff s, LATERAL (SELECT s.id * 10 AS c, upper(s.name) AS u) l "
        "WHERE s.id < 3 ORDER BY s.id",
        [(1, 10, "ALICE"), (2, 20, "BOB")],
    ),
    (
        "SELECT id, c FROM staff JOIN LATERAL (SELECT id + 1 AS c) ON c > 4 ORDER BY id",
        [(4, 5), (5, 6)],
    ),
    # A group without the pivot value has NULL there, counts included.
    (
        "SELECT * FROM (SELECT dept, name FROM staff) "
        "PIVOT (count(name) FOR dept IN ('eng', 'hr')) ",
        [(2, None)],
    ),
    # PIVOT over several columns takes a tuple per value.
    (
        "SELECT * FROM (SELECT dept, year(hired) AS y, month(hired) AS m, salary FROM staff) "
        "PIVOT (sum(salary) FOR (dept, m) IN (('eng', 1) AS eng_jan, ('ops', 2))) ORDER BY y",
        [(2024, 100, 70)],
    ),
    # Aggregates over the rows a FILTER clause keeps; ordered-set percentiles.
    (
        "SELECT count(*) FILTER (WHERE salary > 85), sum(salary) FILTER (WHERE dept = 'eng'), "
        "count(*) FROM staff",
        [(2, 180, 5)],
    ),
    (
        "SELECT dept, count(name) FILTER (WHERE salary IS NULL) FROM staff "
        "GROUP BY dept ORDER BY dept",
        [("eng", 0), ("ops", 1), ("sales", 0)],
    ),
    (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY salary), "
        "percentile_cont(0.25) WITHIN GROUP (ORDER BY salary DESC) FROM staff",
        [(85.0, 92.5)],
    ),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_query(spark: SparkSession, query: str, expected: list[tuple[Any, ...]]) -> None:
    assert run(spark, query) == expected


def test_filter_clause_names_its_condition(spark: SparkSession) -> None:
    df = spark.sql("SELECT count(*) FILTER (WHERE salary > 85) FROM staff")
    assert df.columns == ["count(1) FILTER (WHERE (salary > 85))"]


def test_pivot_names_columns_by_value_and_aggregate(spark: SparkSession) -> None:
    df = spark.sql(
        "SELECT * FROM (SELECT dept, salary, id FROM staff) "
        "PIVOT (max(salary) AS m, count(salary) AS c FOR dept IN ('eng' AS e, 'ops'))"
    )
    assert df.columns == ["id", "e_m", "e_c", "ops_m", "ops_c"]


def test_sql_and_dataframe_name_columns_alike(spark: SparkSession) -> None:
    from pyspark.sql import functions as sf

    sql = spark.sql("SELECT id + salary, upper(name), count(1) FROM staff GROUP BY 1, 2")
    frame = (
        spark.table("staff")
        .groupBy(sf.col("id") + sf.col("salary"), sf.upper("name"))
        .agg(sf.count(sf.lit(1)))
    )
    assert sql.columns == frame.columns == ["(id + salary)", "upper(name)", "count(1)"]


def test_integer_overflow_raises_in_sql(spark: SparkSession) -> None:
    from pyspark.errors import ArithmeticException

    with pytest.raises(ArithmeticException, match="ARITHMETIC_OVERFLOW"):
        spark.sql("SELECT 2147483647 + CAST(id AS INT) FROM range(1, 2)").collect()


def test_parameters(spark: SparkSession) -> None:
    named = spark.sql("SELECT name FROM staff WHERE id = :id", args={"id": 3})
    assert [r.name for r in named.collect()] == ["Cara"]
    positional = spark.sql("SELECT ? + ?", args=[2, 3])
    assert positional.collect()[0][0] == 5


def test_dataframe_formatting(spark: SparkSession) -> None:
    frame = spark.range(4)
    rows = spark.sql("SELECT sum(id) AS s FROM {t} WHERE id > {low}", t=frame, low=1).collect()
    assert rows[0].s == 5


def test_syntax_error_is_parse_exception(spark: SparkSession) -> None:
    with pytest.raises(ParseException, match="PARSE_SYNTAX_ERROR"):
        spark.sql("SELEC 1").collect()


def test_unknown_table(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.sql("SELECT * FROM no_such_table").collect()


def test_unknown_column(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        spark.sql("SELECT nope FROM staff").collect()


def test_describe_database(spark: SparkSession) -> None:
    spark.sql("CREATE DATABASE IF NOT EXISTS described COMMENT 'for tests'")
    try:
        info = {
            r.info_name: r.info_value for r in spark.sql("DESCRIBE DATABASE described").collect()
        }
        assert info["Namespace Name"] == "described"
        assert info["Comment"] == "for tests"
        assert info["Location"].startswith("file:") and info["Location"].endswith("described.db")
        extended = spark.sql("DESCRIBE SCHEMA EXTENDED described").collect()
        assert extended[-1].info_name == "Properties"
    finally:
        spark.sql("DROP DATABASE described CASCADE")
    with pytest.raises(AnalysisException, match="SCHEMA_NOT_FOUND"):
        spark.sql("DESCRIBE DATABASE described").collect()


def test_explain_modes_show_a_physical_plan(spark: SparkSession) -> None:
    for mode in ("FORMATTED", "COST"):
        plan = spark.sql(f"EXPLAIN {mode} SELECT 1").collect()[0].plan
        assert "Physical Plan" in plan


def test_star_except_unknown_column(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        spark.sql("SELECT * EXCEPT (nope) FROM staff").collect()


def test_order_by_position_out_of_range(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException, match="ORDER_BY_POS_OUT_OF_RANGE"):
        spark.sql("SELECT id FROM staff ORDER BY 3").collect()


def test_string_literals_read_backslash_escapes(spark: SparkSession) -> None:
    row = spark.sql(
        r"SELECT 'a\nb' AS nl, 'a\\nb' AS slash, 'it\'s' AS quote, 'u\u00e9' AS uni, "
        r"'x\%y' AS wildcard, 'a\\b' RLIKE '^a\\\\b$' AS rx, '123' RLIKE '^\\d+$' AS digits"
    ).first()
    assert row is not None
    assert (row.nl, row.slash, row.quote, row.uni) == ("a\nb", "a\\nb", "it's", "ué")
    assert row.wildcard == "x\\%y"
    assert (row.rx, row.digits) == (True, True)


def test_lateral_view_columns_answer_to_the_view_name(spark: SparkSession) -> None:
    spark.createDataFrame(
        [(1, [10, 20]), (2, [30])], "id int, xs array<int>"
    ).createOrReplaceTempView("lv_source")
    df = spark.sql(
        "SELECT lv_source.id, t.c, u.d FROM lv_source LATERAL VIEW explode(xs) t AS c "
        "LATERAL VIEW explode(array(t.c, t.c + 1)) u AS d ORDER BY d"
    )
    assert df.columns == ["id", "c", "d"]
    assert [tuple(r) for r in df.collect()][:3] == [(1, 10, 10), (1, 10, 11), (1, 20, 20)]


def test_raw_string_literals_keep_backslashes(spark: SparkSession) -> None:
    row = spark.sql(r"SELECT r'a\nb' AS r, R'\d+' AS d, '1' RLIKE r'^\d$' AS m").first()
    assert row is not None and (row.r, row.d, row.m) == ("a\\nb", "\\d+", True)


def test_recursion_stops_at_the_level_limit(spark: SparkSession) -> None:
    query = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {}) "
    query += "SELECT count(*) FROM r"
    # Spark's default limit is 100 rounds: 100 rows are fine, 101 fail.
    assert spark.sql(query.format(100)).first() == (100,)
    with pytest.raises(Exception, match="RECURSION_LEVEL_LIMIT_EXCEEDED"):
        spark.sql(query.format(101)).collect()
    spark.conf.set("spark.sql.cteRecursionLevelLimit", "3")
    try:
        assert spark.sql(query.format(3)).first() == (3,)
        with pytest.raises(Exception, match="Recursion level limit 3 reached"):
            spark.sql(query.format(4)).collect()
        spark.conf.set("spark.sql.cteRecursionLevelLimit", "-1")
        assert spark.sql(query.format(300)).first() == (300,)
    finally:
        spark.conf.unset("spark.sql.cteRecursionLevelLimit")
