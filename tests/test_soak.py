"""A short run of scripts/soak.py: concurrent sessions, each looping over SQL, DataFrame, UDF,
write, cache and deliberate-error steps, with every answer checked against a single-session run
and the server's RSS watched. `EMBER_SOAK_SECONDS` and `EMBER_SOAK_SESSIONS` lengthen it.

It starts an Ember server of its own (`EMBER_BINARY`, else the `ember` beside this Python), so
it runs only against Ember, not another Spark Connect server."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import REMOTE_ENV

pytestmark = pytest.mark.skipif(
    bool(os.environ.get(REMOTE_ENV)), reason="starts an Ember server of its own"
)

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "soak.py"
SECONDS = os.environ.get("EMBER_SOAK_SECONDS", "20")
SESSIONS = os.environ.get("EMBER_SOAK_SESSIONS", "8")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ember_soak_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_concurrent_sessions_agree_and_memory_stays_flat(tmp_path: Path) -> None:
    soak = load_script()
    report_path = tmp_path / "soak.json"
    # A short run is still warming up (allocator arenas, first plans of each kind), so its
    # memory check is looser than the 15 % of a run of minutes.
    code = soak.main(
        ["--sessions", SESSIONS, "--seconds", SECONDS, "--rss-tolerance", "0.5"]
        + ["--json", str(report_path)]
    )
    report = json.loads(report_path.read_text())
    assert report["failures"] == 0, report["problems"]
    assert report["loops"] >= int(SESSIONS), "every session finishes at least one loop"
    assert report["memory"]["checked"], report["memory"]
    assert report["memory"]["ok"], {k: v for k, v in report["memory"].items() if k != "series"}
    assert code == 0, report["problems"]
