"""The 22 TPC-H queries written with the PySpark DataFrame API.

Each function mirrors /work/shared/tpch/qN.sql: the same output columns in the same order, the
same ORDER BY and LIMIT, so its rows compare one for one with the SQL text's. Correlated
subqueries become joins (semi and anti joins for EXISTS / IN, a grouped aggregate or a window for
scalar subqueries); numeric literals are Decimals, as SQL's `0.05` is a decimal, not a double.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

Tables = Mapping[str, DataFrame]
# A query takes the eight tables and the scale factor (only q11 uses it).
Query = Callable[[Tables, float], DataFrame]

col = F.col


def revenue() -> Column:
    """The discounted price of a line, l_extendedprice * (1 - l_discount)."""
    return col("l_extendedprice") * (1 - col("l_discount"))


def dec(text: str) -> Column:
    """A decimal literal such as SQL's `0.05`; a float would compare and sum as a double."""
    return F.lit(Decimal(text))


def q1(t: Tables, scale: float) -> DataFrame:
    return (
        t["lineitem"]
        .filter(col("l_shipdate") <= date(1998, 9, 2))
        .groupBy("l_returnflag", "l_linestatus")
        .agg(
            F.sum("l_quantity").alias("sum_qty"),
            F.sum("l_extendedprice").alias("sum_base_price"),
            F.sum(revenue()).alias("sum_disc_price"),
            F.sum(revenue() * (1 + col("l_tax"))).alias("sum_charge"),
            F.avg("l_quantity").alias("avg_qty"),
            F.avg("l_extendedprice").alias("avg_price"),
            F.avg("l_discount").alias("avg_disc"),
            F.count("*").alias("count_order"),
        )
        .orderBy("l_returnflag", "l_linestatus")
    )


def q2(t: Tables, scale: float) -> DataFrame:
    europe = t["region"].filter(col("r_name") == "EUROPE")
    suppliers = (
        t["supplier"]
        .join(t["nation"], col("s_nationkey") == col("n_nationkey"))
        .join(europe, col("n_regionkey") == col("r_regionkey"))
    )
    offers = t["partsupp"].join(suppliers, col("ps_suppkey") == col("s_suppkey"))
    # The correlated min(ps_supplycost) over European suppliers, one row per part.
    cheapest = offers.groupBy(col("ps_partkey").alias("cheapest_partkey")).agg(
        F.min("ps_supplycost").alias("cheapest_cost")
    )
    parts = t["part"].filter((col("p_size") == 15) & col("p_type").endswith("BRASS"))
    return (
        parts.join(offers, col("p_partkey") == col("ps_partkey"))
        .join(
            cheapest,
            (col("ps_partkey") == col("cheapest_partkey"))
            & (col("ps_supplycost") == col("cheapest_cost")),
        )
        .select(
            "s_acctbal",
            "s_name",
            "n_name",
            "p_partkey",
            "p_mfgr",
            "s_address",
            "s_phone",
            "s_comment",
        )
        .orderBy(col("s_acctbal").desc(), "n_name", "s_name", "p_partkey")
        .limit(100)
    )


def q3(t: Tables, scale: float) -> DataFrame:
    day = date(1995, 3, 15)
    customers = t["customer"].filter(col("c_mktsegment") == "BUILDING")
    orders = t["orders"].filter(col("o_orderdate") < day)
    lines = t["lineitem"].filter(col("l_shipdate") > day)
    return (
        customers.join(orders, col("c_custkey") == col("o_custkey"))
        .join(lines, col("l_orderkey") == col("o_orderkey"))
        .groupBy("l_orderkey", "o_orderdate", "o_shippriority")
        .agg(F.sum(revenue()).alias("revenue"))
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .orderBy(col("revenue").desc(), "o_orderdate")
        .limit(10)
    )


def q4(t: Tables, scale: float) -> DataFrame:
    late = t["lineitem"].filter(col("l_commitdate") < col("l_receiptdate"))
    return (
        t["orders"]
        # date '1993-07-01' + interval '3' month
        .filter(
            (col("o_orderdate") >= date(1993, 7, 1))
            & (col("o_orderdate") < F.add_months(F.lit(date(1993, 7, 1)), 3))
        )
        # EXISTS (a late line of the order) is a semi join.
        .join(late, col("l_orderkey") == col("o_orderkey"), "left_semi")
        .groupBy("o_orderpriority")
        .agg(F.count("*").alias("order_count"))
        .orderBy("o_orderpriority")
    )


def q5(t: Tables, scale: float) -> DataFrame:
    suppliers = (
        t["region"]
        .filter(col("r_name") == "ASIA")
        .join(t["nation"], col("n_regionkey") == col("r_regionkey"))
        .join(t["supplier"], col("s_nationkey") == col("n_nationkey"))
    )
    orders = t["orders"].filter(
        (col("o_orderdate") >= date(1994, 1, 1)) & (col("o_orderdate") < date(1995, 1, 1))
    )
    return (
        t["customer"]
        .join(orders, col("c_custkey") == col("o_custkey"))
        .join(t["lineitem"], col("l_orderkey") == col("o_orderkey"))
        .join(
            suppliers,
            (col("l_suppkey") == col("s_suppkey")) & (col("c_nationkey") == col("s_nationkey")),
        )
        .groupBy("n_name")
        .agg(F.sum(revenue()).alias("revenue"))
        .orderBy(col("revenue").desc())
    )


def q6(t: Tables, scale: float) -> DataFrame:
    return (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= date(1994, 1, 1))
            & (col("l_shipdate") < date(1995, 1, 1))
            # 0.06 - 0.01 and 0.06 + 0.01, exact as decimals
            & col("l_discount").between(dec("0.06") - dec("0.01"), dec("0.06") + dec("0.01"))
            & (col("l_quantity") < 24)
        )
        .agg(F.sum(col("l_extendedprice") * col("l_discount")).alias("revenue"))
    )


def q7(t: Tables, scale: float) -> DataFrame:
    # The nation table twice, its columns renamed apart for the supplier and the customer.
    pair = ["FRANCE", "GERMANY"]
    supplier_nation = t["nation"].select(
        col("n_nationkey").alias("supp_nationkey"), col("n_name").alias("supp_nation")
    )
    customer_nation = t["nation"].select(
        col("n_nationkey").alias("cust_nationkey"), col("n_name").alias("cust_nation")
    )
    lines = t["lineitem"].filter(col("l_shipdate").between(date(1995, 1, 1), date(1996, 12, 31)))
    shipping = (
        t["supplier"]
        .join(lines, col("s_suppkey") == col("l_suppkey"))
        .join(t["orders"], col("o_orderkey") == col("l_orderkey"))
        .join(t["customer"], col("c_custkey") == col("o_custkey"))
        .join(supplier_nation, col("s_nationkey") == col("supp_nationkey"))
        .join(customer_nation, col("c_nationkey") == col("cust_nationkey"))
        .filter(
            ((col("supp_nation") == pair[0]) & (col("cust_nation") == pair[1]))
            | ((col("supp_nation") == pair[1]) & (col("cust_nation") == pair[0]))
        )
        .select(
            "supp_nation",
            "cust_nation",
            F.year("l_shipdate").alias("l_year"),
            revenue().alias("volume"),
        )
    )
    return (
        shipping.groupBy("supp_nation", "cust_nation", "l_year")
        .agg(F.sum("volume").alias("revenue"))
        .orderBy("supp_nation", "cust_nation", "l_year")
    )


def q8(t: Tables, scale: float) -> DataFrame:
    customer_nation = t["nation"].select(
        col("n_nationkey").alias("n1_nationkey"), col("n_regionkey").alias("n1_regionkey")
    )
    supplier_nation = t["nation"].select(
        col("n_nationkey").alias("n2_nationkey"), col("n_name").alias("nation")
    )
    america = t["region"].filter(col("r_name") == "AMERICA")
    parts = t["part"].filter(col("p_type") == "ECONOMY ANODIZED STEEL")
    orders = t["orders"].filter(col("o_orderdate").between(date(1995, 1, 1), date(1996, 12, 31)))
    all_nations = (
        parts.join(t["lineitem"], col("p_partkey") == col("l_partkey"))
        .join(t["supplier"], col("s_suppkey") == col("l_suppkey"))
        .join(orders, col("l_orderkey") == col("o_orderkey"))
        .join(t["customer"], col("o_custkey") == col("c_custkey"))
        .join(customer_nation, col("c_nationkey") == col("n1_nationkey"))
        .join(america, col("n1_regionkey") == col("r_regionkey"))
        .join(supplier_nation, col("s_nationkey") == col("n2_nationkey"))
        .select(
            F.year("o_orderdate").alias("o_year"),
            revenue().alias("volume"),
            "nation",
        )
    )
    brazil = F.when(col("nation") == "BRAZIL", col("volume")).otherwise(0)
    return (
        all_nations.groupBy("o_year")
        .agg((F.sum(brazil) / F.sum("volume")).alias("mkt_share"))
        .orderBy("o_year")
    )


def q9(t: Tables, scale: float) -> DataFrame:
    parts = t["part"].filter(col("p_name").contains("green"))
    profit = (
        parts.join(t["lineitem"], col("p_partkey") == col("l_partkey"))
        .join(t["supplier"], col("s_suppkey") == col("l_suppkey"))
        .join(
            t["partsupp"],
            (col("ps_suppkey") == col("l_suppkey")) & (col("ps_partkey") == col("l_partkey")),
        )
        .join(t["orders"], col("o_orderkey") == col("l_orderkey"))
        .join(t["nation"], col("s_nationkey") == col("n_nationkey"))
        .select(
            col("n_name").alias("nation"),
            F.year("o_orderdate").alias("o_year"),
            (revenue() - col("ps_supplycost") * col("l_quantity")).alias("amount"),
        )
    )
    return (
        profit.groupBy("nation", "o_year")
        .agg(F.sum("amount").alias("sum_profit"))
        .orderBy("nation", col("o_year").desc())
    )


def q10(t: Tables, scale: float) -> DataFrame:
    orders = t["orders"].filter(
        (col("o_orderdate") >= date(1993, 10, 1)) & (col("o_orderdate") < date(1994, 1, 1))
    )
    returned = t["lineitem"].filter(col("l_returnflag") == "R")
    return (
        t["customer"]
        .join(orders, col("c_custkey") == col("o_custkey"))
        .join(returned, col("l_orderkey") == col("o_orderkey"))
        .join(t["nation"], col("c_nationkey") == col("n_nationkey"))
        .groupBy("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
        .agg(F.sum(revenue()).alias("revenue"))
        .select(
            "c_custkey",
            "c_name",
            "revenue",
            "c_acctbal",
            "n_name",
            "c_address",
            "c_phone",
            "c_comment",
        )
        .orderBy(col("revenue").desc())
        .limit(20)
    )


def q11(t: Tables, scale: float) -> DataFrame:
    german = (
        t["partsupp"]
        .join(t["supplier"], col("ps_suppkey") == col("s_suppkey"))
        .join(t["nation"], col("s_nationkey") == col("n_nationkey"))
        .filter(col("n_name") == "GERMANY")
    )
    stock = col("ps_supplycost") * col("ps_availqty")
    # The fraction scales with the data, written as the decimal the SQL text would carry.
    fraction = dec(repr(0.0001 / scale))
    # The uncorrelated scalar subquery: one row, joined to every group.
    threshold = german.agg((F.sum(stock) * fraction).alias("threshold"))
    return (
        german.groupBy("ps_partkey")
        .agg(F.sum(stock).alias("value"))
        .crossJoin(threshold)
        .filter(col("value") > col("threshold"))
        .select("ps_partkey", "value")
        .orderBy(col("value").desc())
    )


def q12(t: Tables, scale: float) -> DataFrame:
    lines = t["lineitem"].filter(
        col("l_shipmode").isin("MAIL", "SHIP")
        & (col("l_commitdate") < col("l_receiptdate"))
        & (col("l_shipdate") < col("l_commitdate"))
        & (col("l_receiptdate") >= date(1994, 1, 1))
        & (col("l_receiptdate") < date(1995, 1, 1))
    )
    priority = col("o_orderpriority")
    high = (priority == "1-URGENT") | (priority == "2-HIGH")
    low = (priority != "1-URGENT") & (priority != "2-HIGH")
    return (
        t["orders"]
        .join(lines, col("o_orderkey") == col("l_orderkey"))
        .groupBy("l_shipmode")
        .agg(
            F.sum(F.when(high, 1).otherwise(0)).alias("high_line_count"),
            F.sum(F.when(low, 1).otherwise(0)).alias("low_line_count"),
        )
        .orderBy("l_shipmode")
    )


def q13(t: Tables, scale: float) -> DataFrame:
    # The ON clause keeps its filter on orders: customers without such orders still count 0.
    on = (col("c_custkey") == col("o_custkey")) & ~col("o_comment").like("%special%requests%")
    return (
        t["customer"]
        .join(t["orders"], on, "left")
        .groupBy("c_custkey")
        .agg(F.count("o_orderkey").alias("c_count"))
        .groupBy("c_count")
        .agg(F.count("*").alias("custdist"))
        .orderBy(col("custdist").desc(), col("c_count").desc())
    )


def q14(t: Tables, scale: float) -> DataFrame:
    lines = t["lineitem"].filter(
        (col("l_shipdate") >= date(1995, 9, 1)) & (col("l_shipdate") < date(1995, 10, 1))
    )
    promo = F.when(col("p_type").startswith("PROMO"), revenue()).otherwise(0)
    return lines.join(t["part"], col("l_partkey") == col("p_partkey")).agg(
        (dec("100.00") * F.sum(promo) / F.sum(revenue())).alias("promo_revenue")
    )


def q15(t: Tables, scale: float) -> DataFrame:
    start = date(1996, 1, 1)
    revenue0 = (
        t["lineitem"]
        .filter((col("l_shipdate") >= start) & (col("l_shipdate") < F.add_months(F.lit(start), 3)))
        .groupBy(col("l_suppkey").alias("supplier_no"))
        .agg(F.sum(revenue()).alias("total_revenue"))
    )
    best = revenue0.agg(F.max("total_revenue").alias("max_revenue"))
    return (
        t["supplier"]
        .join(revenue0, col("s_suppkey") == col("supplier_no"))
        .join(best, col("total_revenue") == col("max_revenue"))
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .orderBy("s_suppkey")
    )


def q16(t: Tables, scale: float) -> DataFrame:
    parts = t["part"].filter(
        (col("p_brand") != "Brand#45")
        & ~col("p_type").startswith("MEDIUM POLISHED")
        & col("p_size").isin(49, 14, 23, 45, 19, 3, 36, 9)
    )
    complained = t["supplier"].filter(col("s_comment").like("%Customer%Complaints%"))
    return (
        t["partsupp"]
        .join(parts, col("p_partkey") == col("ps_partkey"))
        # NOT IN over a key that is never null is an anti join.
        .join(complained, col("ps_suppkey") == col("s_suppkey"), "left_anti")
        .groupBy("p_brand", "p_type", "p_size")
        .agg(F.countDistinct("ps_suppkey").alias("supplier_cnt"))
        .orderBy(col("supplier_cnt").desc(), "p_brand", "p_type", "p_size")
    )


def q17(t: Tables, scale: float) -> DataFrame:
    parts = t["part"].filter((col("p_brand") == "Brand#23") & (col("p_container") == "MED BOX"))
    # After the join every line of each chosen part is present, so a window over the part
    # gives the correlated avg(l_quantity) of the subquery.
    per_part = Window.partitionBy("l_partkey")
    return (
        t["lineitem"]
        .join(parts, col("p_partkey") == col("l_partkey"))
        .withColumn("small_qty", dec("0.2") * F.avg("l_quantity").over(per_part))
        .filter(col("l_quantity") < col("small_qty"))
        .agg((F.sum("l_extendedprice") / dec("7.0")).alias("avg_yearly"))
    )


def q18(t: Tables, scale: float) -> DataFrame:
    large = (
        t["lineitem"]
        .groupBy(col("l_orderkey").alias("large_orderkey"))
        .agg(F.sum("l_quantity").alias("large_qty"))
        .filter(col("large_qty") > 300)
    )
    return (
        t["orders"]
        .join(large, col("o_orderkey") == col("large_orderkey"), "left_semi")
        .join(t["customer"], col("c_custkey") == col("o_custkey"))
        .join(t["lineitem"], col("o_orderkey") == col("l_orderkey"))
        .groupBy("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice")
        .agg(F.sum("l_quantity"))
        .orderBy(col("o_totalprice").desc(), "o_orderdate")
        .limit(100)
    )


def q19(t: Tables, scale: float) -> DataFrame:
    def branch(brand: str, size: str, quantity: int, largest: int) -> Column:
        containers = [f"{size} {kind}" for kind in ("CASE", "BOX", "PACK", "PKG")]
        if size == "MED":  # the medium branch names BAG where the others name CASE
            containers[0] = "MED BAG"
        return (
            (col("p_brand") == brand)
            & col("p_container").isin(*containers)
            & col("l_quantity").between(quantity, quantity + 10)
            & col("p_size").between(1, largest)
        )

    # The three branches share the ship mode and instruction, checked once on lineitem.
    lines = t["lineitem"].filter(
        col("l_shipmode").isin("AIR", "AIR REG") & (col("l_shipinstruct") == "DELIVER IN PERSON")
    )
    return (
        lines.join(t["part"], col("p_partkey") == col("l_partkey"))
        .filter(
            branch("Brand#12", "SM", 1, 5)
            | branch("Brand#23", "MED", 10, 10)
            | branch("Brand#34", "LG", 20, 15)
        )
        .agg(F.sum(revenue()).alias("revenue"))
    )


def q20(t: Tables, scale: float) -> DataFrame:
    start = date(1994, 1, 1)
    forest = t["part"].filter(col("p_name").startswith("forest"))
    # The correlated 0.5 * sum(l_quantity) per (part, supplier); a pair that shipped nothing
    # makes the subquery NULL and the comparison false, so an inner join keeps the meaning.
    shipped = (
        t["lineitem"]
        .filter((col("l_shipdate") >= start) & (col("l_shipdate") < F.add_months(F.lit(start), 12)))
        .groupBy("l_partkey", "l_suppkey")
        .agg((dec("0.5") * F.sum("l_quantity")).alias("half_qty"))
    )
    stocked = (
        t["partsupp"]
        .join(forest, col("ps_partkey") == col("p_partkey"), "left_semi")
        .join(
            shipped,
            (col("l_partkey") == col("ps_partkey")) & (col("l_suppkey") == col("ps_suppkey")),
        )
        .filter(col("ps_availqty") > col("half_qty"))
    )
    return (
        t["supplier"]
        .join(stocked, col("s_suppkey") == col("ps_suppkey"), "left_semi")
        .join(t["nation"], col("s_nationkey") == col("n_nationkey"))
        .filter(col("n_name") == "CANADA")
        .select("s_name", "s_address")
        .orderBy("s_name")
    )


def q21(t: Tables, scale: float) -> DataFrame:
    def late(lines: DataFrame) -> DataFrame:
        return lines.filter(col("l_receiptdate") > col("l_commitdate"))

    # lineitem l2 and l3 of the EXISTS / NOT EXISTS, columns renamed apart from l1.
    l2 = t["lineitem"].select(
        col("l_orderkey").alias("l2_orderkey"), col("l_suppkey").alias("l2_suppkey")
    )
    l3 = late(t["lineitem"]).select(
        col("l_orderkey").alias("l3_orderkey"), col("l_suppkey").alias("l3_suppkey")
    )
    other_supplier = (col("l2_orderkey") == col("l_orderkey")) & (
        col("l2_suppkey") != col("l_suppkey")
    )
    other_late = (col("l3_orderkey") == col("l_orderkey")) & (col("l3_suppkey") != col("l_suppkey"))
    saudi = t["nation"].filter(col("n_name") == "SAUDI ARABIA")
    return (
        t["supplier"]
        .join(saudi, col("s_nationkey") == col("n_nationkey"))
        .join(late(t["lineitem"]), col("s_suppkey") == col("l_suppkey"))
        .join(t["orders"], col("o_orderkey") == col("l_orderkey"))
        .filter(col("o_orderstatus") == "F")
        .join(l2, other_supplier, "left_semi")
        .join(l3, other_late, "left_anti")
        .groupBy("s_name")
        .agg(F.count("*").alias("numwait"))
        .orderBy(col("numwait").desc(), "s_name")
        .limit(100)
    )


def q22(t: Tables, scale: float) -> DataFrame:
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    customers = t["customer"].withColumn("cntrycode", F.substring("c_phone", 1, 2))
    in_countries = customers.filter(col("cntrycode").isin(*codes))
    # The uncorrelated scalar subquery, one row joined to every customer.
    average = in_countries.filter(col("c_acctbal") > dec("0.00")).agg(
        F.avg("c_acctbal").alias("avg_acctbal")
    )
    return (
        in_countries.crossJoin(average)
        .filter(col("c_acctbal") > col("avg_acctbal"))
        # NOT EXISTS (an order of the customer) is an anti join.
        .join(t["orders"], col("o_custkey") == col("c_custkey"), "left_anti")
        .groupBy("cntrycode")
        .agg(F.count("*").alias("numcust"), F.sum("c_acctbal").alias("totacctbal"))
        .orderBy("cntrycode")
    )


QUERIES: dict[int, Query] = {
    1: q1,
    2: q2,
    3: q3,
    4: q4,
    5: q5,
    6: q6,
    7: q7,
    8: q8,
    9: q9,
    10: q10,
    11: q11,
    12: q12,
    13: q13,
    14: q14,
    15: q15,
    16: q16,
    17: q17,
    18: q18,
    19: q19,
    20: q20,
    21: q21,
    22: q22,
}
