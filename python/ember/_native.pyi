"""Type stubs for ``ember._native``, the Rust extension built from ``crates/python``."""

def start_server(host: str, port: int) -> int:
    """Start a Spark Connect server on background threads of this process.

    ``port`` 0 picks a free port. Returns the port the server is bound to, once it accepts
    connections.
    """

def stop_server(port: int) -> None:
    """Stop the server started on ``port`` by :func:`start_server`."""
