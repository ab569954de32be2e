"""Type stubs for ``ember._native``, the Rust extension built from ``crates/python``."""

def start_server(
    host: str,
    port: int,
    memory: str | None = None,
    local_dir: str | None = None,
    session_timeout: str | None = None,
    detached_timeout: str | None = None,
    ui_port: int | None = None,
    event_log_dir: str | None = None,
) -> int:
    """Start a Spark Connect server on background threads of this process.

    ``port`` 0 picks a free port. ``memory`` (Spark's size syntax) bounds what queries hold
    before spilling to ``local_dir``. Returns the port the server is bound to, once it accepts
    connections; raises ``ValueError`` for a malformed size or timeout.
    """

def start_history(dir: str, host: str, port: int) -> str:
    """Serve the web UI over the event logs in ``dir``; return its URL."""

def ui_url(port: int) -> str | None:
    """The web UI's URL of the server on ``port``, if it runs one."""

def stop_server(port: int) -> None:
    """Stop the server started on ``port`` by :func:`start_server`."""
