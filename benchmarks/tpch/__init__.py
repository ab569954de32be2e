"""TPC-H through the PySpark DataFrame API: `QUERIES[n](tables, scale)` builds query n."""

from __future__ import annotations

from tpch.queries import QUERIES, Query, Tables

__all__ = ["QUERIES", "Query", "Tables"]
