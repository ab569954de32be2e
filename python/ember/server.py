"""The embedded server: Ember's Spark Connect server running inside this Python process.

The Rust side (``ember._native``) runs the gRPC service on its own threads, so the server
keeps working while Python code blocks in the PySpark client waiting for results. The native
module is imported lazily so that ``import ember`` and ``ember version`` work before it is built.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCALHOST = "127.0.0.1"

_lock = threading.Lock()
_embedded_port: int | None = None


def start_server(
    host: str = LOCALHOST,
    port: int = 0,
    memory: str | None = None,
    local_dir: str | None = None,
    session_timeout: str | None = None,
    detached_timeout: str | None = None,
    ui_port: int | None = 4040,
    event_log_dir: str | None = None,
) -> int:
    """Start a Spark Connect server on ``host:port`` and return the bound port.

    Port 0 picks a free port. ``memory`` (Spark's size syntax: ``"512m"``, ``"2g"``) bounds what
    its queries hold together before they spill to ``local_dir``; by default a share of the
    machine's memory (``EMBER_MEMORY`` overrides it) and the system's temporary directory
    (``EMBER_LOCAL_DIR``). A session idle for ``session_timeout`` ends (default ``"60min"``);
    a query whose results no client has read for ``detached_timeout`` stops (default
    ``"60s"``). The web UI listens on ``ui_port`` or the next free port (``None``: no UI);
    :func:`ui_url` tells where. With ``event_log_dir`` its sessions and queries are logged there
    for ``ember history``. Each call starts a new server; see :func:`session` for the
    once-per-process embedded one.
    """
    from ember import _native

    _use_this_python_for_udfs()
    memory = memory or os.environ.get("EMBER_MEMORY") or None
    local_dir = local_dir or os.environ.get("EMBER_LOCAL_DIR") or None
    return _native.start_server(
        host, port, memory, local_dir, session_timeout, detached_timeout, ui_port, event_log_dir
    )


def start_history(directory: str, host: str = LOCALHOST, port: int = 18080) -> str:
    """Serve the web UI over the event logs in ``directory`` (on ``port``, or the next free
    one) from background threads of this process; return its URL."""
    from ember import _native

    return _native.start_history(directory, host, port)


def ui_url(port: int) -> str | None:
    """The web UI's URL of the server :func:`start_server` bound to ``port``, if it has one."""
    from ember import _native

    return _native.ui_url(port)


def _use_this_python_for_udfs() -> None:
    """Python UDF workers run on this interpreter, which has pyspark, unless told otherwise."""
    os.environ.setdefault("EMBER_PYTHON", sys.executable)


def stop_server(port: int) -> None:
    """Stop the server that :func:`start_server` bound to ``port``."""
    global _embedded_port
    from ember import _native

    with _lock:
        _native.stop_server(port)
        if _embedded_port == port:
            _embedded_port = None


def remote_url(port: int, host: str = LOCALHOST) -> str:
    """The ``sc://`` URL a Spark Connect client uses to reach a server on ``host:port``."""
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"sc://{host}:{port}"


def embedded_port(
    memory: str | None = None,
    local_dir: str | None = None,
    ui_port: int | None = 4040,
    event_log_dir: str | None = None,
) -> int:
    """The port of this process's embedded server, starting it on first use (thread-safe);
    ``memory``, ``local_dir`` and ``ui_port`` apply when this call starts it (see
    :func:`start_server`)."""
    global _embedded_port
    with _lock:
        if _embedded_port is None:
            _embedded_port = start_server(
                LOCALHOST, 0, memory, local_dir, ui_port=ui_port, event_log_dir=event_log_dir
            )
        return _embedded_port


def embedded_url() -> str:
    """The ``sc://`` URL of this process's embedded server, starting it on first use."""
    return remote_url(embedded_port())


def session(**config: Any) -> SparkSession:
    """A PySpark session connected to this process's embedded Ember server.

    The server starts on first use, on 127.0.0.1 and a free port. ``config`` items are Spark
    configuration keys and values, e.g. ``ember.session(**{"spark.sql.shuffle.partitions": 4})``;
    ``spark.ember.memory`` and ``spark.local.dir`` set the server's memory limit and spill
    directory, ``spark.ui.enabled`` and ``spark.ui.port`` its web UI (on by default, at 4040 or
    the next free port; ``spark.conf.get("spark.ui.url")`` tells where), and
    ``spark.eventLog.enabled`` with ``spark.eventLog.dir`` (default ``/tmp/spark-events``) its
    event log, when this call starts it. Like ``SparkSession.builder.getOrCreate()``, later calls
    return the same session.
    """
    import os
    import sys

    from pyspark.sql import SparkSession

    # The client draws its progress bar on standard output when asked to; a user at a terminal
    # wants to see it.
    if sys.stdout.isatty():
        os.environ.setdefault("SPARK_CONNECT_PROGRESS_BAR_ENABLED", "1")
    memory = config.get("spark.ember.memory")
    local_dir = config.get("spark.local.dir")
    ui_on = str(config.get("spark.ui.enabled", "true")).lower() != "false"
    log_on = str(config.get("spark.eventLog.enabled", "false")).lower() == "true"
    port = embedded_port(
        None if memory is None else str(memory),
        None if local_dir is None else str(local_dir),
        int(config.get("spark.ui.port", 4040)) if ui_on else None,
        str(config.get("spark.eventLog.dir", "/tmp/spark-events")) if log_on else None,
    )
    builder = SparkSession.builder.remote(remote_url(port))
    for key, value in config.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
