#!/usr/bin/env bash
# Every check CI runs: Rust format, lints and tests, Python lint, and the PySpark suites that drive
# Ember through the official client. Runs scripts/setup.sh first (incremental), so the Python
# tests never see a stale native module; .ci/run sets EMBER_SETUP_DONE=1 after its own setup.
#
#   scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${EMBER_SETUP_DONE:-}" != "1" ]; then
  scripts/setup.sh
fi

export PYO3_PYTHON="$PWD/.venv/bin/python"
# Rust test binaries of the bindings crate link libpython; let them find it at run time.
pylib="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')"
export LD_LIBRARY_PATH="${pylib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
echo "== ruff"
.venv/bin/ruff check python tests examples scripts benchmarks crates/udf/src/worker.py
.venv/bin/ruff format --check python tests examples scripts benchmarks crates/udf/src/worker.py
echo "== pytest"
.venv/bin/python -m pytest -q tests "$@"
