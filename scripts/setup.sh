#!/usr/bin/env bash
# Set up a working copy: a Python venv in .venv with Ember installed in editable mode (its native
# module built in the dev profile, or release with --release) and the test tools, plus the
# standalone `ember` binary.
# Safe to re-run: cargo rebuilds only what changed.
#
#   scripts/setup.sh            # then: .venv/bin/ember submit examples/saas_etl.py
#   scripts/setup.sh --release  # optimized build (Cargo's release profile, thin LTO) for real
#                               # work and benchmarks; takes far longer to compile
#
# PYTHON picks the interpreter for a new venv (default: python3, 3.10 or newer).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
PROFILE=dev
CARGO_PROFILE_FLAG=()
if [ "${1:-}" = "--release" ]; then
  PROFILE=release
  CARGO_PROFILE_FLAG=(--release)
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi

# pyo3's build script reruns when the interpreter changes; maturin uses the venv's python, so
# point plain cargo at the same one to share build artifacts.
export PYO3_PYTHON="$PWD/.venv/bin/python"

# An editable install builds ember._native through maturin. Without --profile dev maturin
# would build in release mode, which takes far longer on a small machine.
echo "setup: installing ember (editable, $PROFILE profile) and test tools into .venv"
MATURIN_PEP517_ARGS="--profile $PROFILE" .venv/bin/python -m pip install --quiet -e ".[test]"

echo "setup: building the standalone ember binary"
cargo build "${CARGO_PROFILE_FLAG[@]}" -p ember-cli

echo "setup: done. Try: .venv/bin/ember submit examples/saas_etl.py"
