"""Ember: a Spark Connect server written in Rust.

Use the official PySpark client against it::

    import ember

    spark = ember.session()  # starts an embedded server in this process
    spark.range(3).show()

or run ``ember server`` and connect with ``SparkSession.builder.remote("sc://localhost:15002")``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ember.server import embedded_url, remote_url, session, start_server, stop_server

try:
    __version__ = version("ember")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "embedded_url",
    "remote_url",
    "session",
    "start_server",
    "stop_server",
]
