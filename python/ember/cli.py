"""The ``ember`` command: ``ember server``, ``ember submit``, ``ember history``, ``ember version``.

``submit`` is the main job: it starts the embedded server in this process and runs an unmodified
PySpark script in a child Python with ``SPARK_REMOTE`` pointing at it, so the script's
``SparkSession.builder.getOrCreate()`` connects to Ember. ``history DIR`` serves the web UI over
the event logs in DIR.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ember import server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ember", description="Ember: a Spark Connect server written in Rust."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("server", help="run a Spark Connect server until interrupted")
    serve.add_argument("--host", default=server.LOCALHOST, help="address to bind (%(default)s)")
    serve.add_argument("--port", type=int, default=15002, help="port to bind, 0 = any free one")
    serve.add_argument(
        "--memory",
        help="memory all queries may hold before spilling, e.g. 2g (default: 60%% of the machine)",
    )
    serve.add_argument("--local-dir", help="directory for spill files (default: the system's)")
    serve.add_argument("--ui-port", type=int, default=4040, help="web UI port (%(default)s)")
    serve.add_argument("--no-ui", action="store_true", help="run without the web UI")
    serve.add_argument("--event-log-dir", help="log sessions and queries here (ember history)")
    serve.add_argument("--session-timeout", help="end sessions idle this long (default 60min)")
    serve.add_argument(
        "--detached-timeout", help="stop queries no client reads this long (default 60s)"
    )
    serve.add_argument(
        "--python-workers", type=int, help="most Python UDF workers at once (default: cores)"
    )

    submit = commands.add_parser(
        "submit", help="run a PySpark script against an embedded server, return its exit code"
    )
    submit.add_argument("script", help="the Python script to run")
    submit.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")

    history = commands.add_parser(
        "history", help="serve the web UI over event logs (written with spark.eventLog.dir)"
    )
    history.add_argument("dir", help="the event log directory")
    history.add_argument("--host", default=server.LOCALHOST, help="address to bind (%(default)s)")
    history.add_argument("--port", type=int, default=18080, help="port to bind (%(default)s)")

    commands.add_parser("version", help="print the versions of Ember and its PySpark client")
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_server(options: argparse.Namespace) -> int:
    """Start a server as ``ember server`` was told, print its URLs, and block until Ctrl-C or
    SIGTERM."""
    if options.python_workers:
        os.environ["EMBER_PYTHON_WORKERS"] = str(options.python_workers)
    host: str = options.host
    bound = server.start_server(
        host,
        options.port,
        options.memory,
        options.local_dir,
        session_timeout=options.session_timeout,
        detached_timeout=options.detached_timeout,
        ui_port=None if options.no_ui else options.ui_port,
        event_log_dir=options.event_log_dir,
    )
    print(f"Ember Spark Connect server listening on {server.remote_url(bound, host)}", flush=True)
    ui = server.ui_url(bound)
    if ui:
        print(f"Ember web UI on {ui}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    stopped = threading.Event()
    try:
        while not stopped.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_server(bound)
    return 0


def run_history(directory: str, host: str, port: int) -> int:
    """Serve the UI over ``directory``'s event logs until Ctrl-C or SIGTERM."""
    url = server.start_history(directory, host, port)
    print(f"Ember history of {directory} on {url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while not threading.Event().wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    return 0


def run_submit(script: str, args: Sequence[str]) -> int:
    """Run ``script`` with this Python against the embedded server; return its exit code."""
    if not os.path.isfile(script):
        print(f"ember submit: no such file: {script}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    port = server.embedded_port()
    env["SPARK_REMOTE"] = server.remote_url(port)
    ui = server.ui_url(port)
    if ui:
        print(f"Ember web UI on {ui}", file=sys.stderr, flush=True)
    env.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    # The client draws its progress bar on standard output when asked to; a user at a terminal
    # wants to see it.
    if sys.stdout.isatty():
        env.setdefault("SPARK_CONNECT_PROGRESS_BAR_ENABLED", "1")
    child = subprocess.Popen([sys.executable, script, *args], env=env)
    while True:
        try:
            code = child.wait()
            break
        except KeyboardInterrupt:
            # The terminal sent SIGINT to the child too; let it finish its own cleanup.
            continue
    # A child killed by a signal reports -N; shells report that as 128 + N.
    return code if code >= 0 else 128 - code


def print_version() -> int:
    from importlib.metadata import PackageNotFoundError, version

    import ember

    try:
        client = version("pyspark-client")
    except PackageNotFoundError:
        client = "not installed"
    print(f"ember {ember.__version__} (pyspark-client {client})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.command == "server":
        return run_server(options)
    if options.command == "submit":
        return run_submit(options.script, options.args)
    if options.command == "history":
        return run_history(options.dir, options.host, options.port)
    return print_version()


if __name__ == "__main__":
    sys.exit(main())
