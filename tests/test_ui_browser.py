"""The web UI in a real browser: `scripts/ui_screenshots.py` renders the query list and a
query's page in headless Chromium and checks the query, its plan and its metrics appear.

Needs a Chromium (Debian's `chromium` package); without one there is no browser to test in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REMOTE_ENV

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ui_screenshots.py"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on this machine")
@pytest.mark.skipif(bool(os.environ.get(REMOTE_ENV)), reason="starts an Ember server of its own")
def test_pages_show_the_query_plan_and_metrics(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "ui-queries.png").stat().st_size > 10_000
    assert (tmp_path / "ui-query.png").stat().st_size > 10_000
