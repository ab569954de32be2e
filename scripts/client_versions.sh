#!/usr/bin/env bash
# Run scripts/client_smoke.py with every supported PySpark client version against one Ember
# server (.venv/bin/ember, so run scripts/setup.sh first). Each client gets its own venv, made
# once and kept under ${EMBER_CLIENT_VENVS:-$HOME/.cache/ember-clients}/<package>-<version>.
#
#   scripts/client_versions.sh                        # the default versions, below
#   scripts/client_versions.sh pyspark-client==4.0.4 pyspark==4.3.0
#
# Default: the newest pyspark-client 4.0.x, pyspark-client 4.1.1 (Ember's own), the newest
# pyspark-client 4.2.x, and the newest pyspark 4.3.x in Connect mode when it is published.
# EMBER_SMOKE_REMOTE=sc://host:port runs against a server already running instead of starting
# one; EMBER_SMOKE_NEWER_PROTOCOL=1 adds the smoke's --newer-protocol check (APIs newer than
# Ember's protocol descriptors must work or be refused clearly). Exits 1 if any version fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

VENVS="${EMBER_CLIENT_VENVS:-$HOME/.cache/ember-clients}"
# Python UDFs are pickled by the client and run by the server's workers (.venv's Python), so
# the client venvs use the same interpreter: pickled code only loads on the same minor version.
BASE_PY="$ROOT/.venv/bin/python"
if [ ! -x "$BASE_PY" ] || [ ! -x "$ROOT/.venv/bin/ember" ]; then
  echo "client_versions: no .venv/bin/ember; run scripts/setup.sh first" >&2
  exit 2
fi
PIP_QUIET=(--quiet --disable-pip-version-check)

# All published versions of package $1, one a line, oldest first; nothing if none can be listed.
versions_of() {
  local listed
  listed="$("$BASE_PY" -m pip index versions "$1" "${PIP_QUIET[@]}" 2>/dev/null |
    sed -n 's/^Available versions: //p')" || true
  if [ -z "$listed" ]; then
    # `pip index` is experimental; asking for a version that cannot exist lists the real ones.
    listed="$("$BASE_PY" -m pip download --no-deps -d /dev/null "$1==0.0.0.dev0+none" 2>&1 |
      sed -n 's/.*(from versions: \(.*\))$/\1/p')" || true
  fi
  [ -n "$listed" ] && [ "$listed" != "none" ] || return 0
  tr ',' '\n' <<<"$listed" | tr -d ' ' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V
}

# The newest published version of package $1 in the line $2 (e.g. 4.2), or nothing.
newest_in() {
  local all
  all="$(versions_of "$1")"
  if [ -z "$all" ]; then
    echo "client_versions: could not list the versions of $1 on the package index" >&2
    return 1
  fi
  grep -E "^${2//./\\.}\.[0-9]+$" <<<"$all" | tail -n 1 || true
}

declare -a CLIENTS=() SKIPPED=()
if [ "$#" -gt 0 ]; then
  CLIENTS=("$@")
else
  v40="$(newest_in pyspark-client 4.0)"
  v42="$(newest_in pyspark-client 4.2)"
  if [ -z "$v40" ] || [ -z "$v42" ]; then
    echo "client_versions: no pyspark-client 4.0.x or 4.2.x on the package index" >&2
    exit 1
  fi
  CLIENTS=("pyspark-client==$v40" "pyspark-client==4.1.1" "pyspark-client==$v42")
  v="$(newest_in pyspark 4.3)"
  if [ -n "$v" ]; then
    CLIENTS+=("pyspark==$v")
  else
    SKIPPED+=("pyspark 4.3.x: skipped, not published on the package index")
  fi
fi

# pip requirements for one client spec ("package==version").
requirements() {
  local package="${1%%==*}" version="${1##*==}"
  local -a reqs
  case "$package" in
    pyspark) reqs=("pyspark[connect]==$version") ;; # the full package, used in Connect mode
    pyspark-client) reqs=("pyspark-client==$version") ;;
    *) echo "client_versions: unknown client $1" >&2; return 1 ;;
  esac
  # pip picks pandas 3 for any of them; PySpark up to 4.3 recommends pandas 2 (4.2 on warn about
  # 3). The smoke passes with either, so the older clients get pandas 2 and 4.3 gets what pip
  # picks: both pandas lines are covered.
  case "$version" in
    4.0.* | 4.1.* | 4.2.*) reqs+=("pandas>=2.2,<3") ;;
    *) reqs+=("pandas>=2.2") ;;
  esac
  printf '%s\n' "${reqs[@]}" pyarrow numpy
}

# Make or reuse the venv for client $1; prints its directory. It is called as a condition, where
# `set -e` does not apply, hence the explicit returns.
client_venv() {
  local dir="$VENVS/${1/==/-}" reqs stamp
  reqs="$(requirements "$1")" || return 1
  stamp="$dir/.ember-smoke-requirements"
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$reqs" ]; then
    echo "client_versions: installing $1 into $dir" >&2
    rm -rf "$dir" && mkdir -p "$VENVS" && "$BASE_PY" -m venv "$dir" || return 1
    mapfile -t req_list <<<"$reqs"
    "$dir/bin/python" -m pip install "${PIP_QUIET[@]}" "${req_list[@]}" >&2 || return 1
    printf '%s\n' "$reqs" >"$stamp" || return 1
  fi
  echo "$dir"
}

WORK="$(mktemp -d -t ember-client-versions.XXXXXX)"
SERVER_PID=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
  # The server's warehouse and UDF workers' files go in its working folder: a temporary one.
  (cd "$WORK" && EMBER_PYTHON="$BASE_PY" exec "$ROOT/.venv/bin/ember" server --port 0 --no-ui) \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    REMOTE="$(sed -n 's/.*listening on \(sc:\/\/[^ ]*\).*/\1/p' "$WORK/server.log")"
    [ -n "$REMOTE" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "client_versions: the Ember server did not start:" >&2
  cat "$WORK/server.log" >&2
  return 1
}

START=$SECONDS
REMOTE="${EMBER_SMOKE_REMOTE:-}"
if [ -z "$REMOTE" ]; then
  start_server
fi
SMOKE_ARGS=(--remote "$REMOTE")
if [ "${EMBER_SMOKE_NEWER_PROTOCOL:-}" = 1 ]; then
  SMOKE_ARGS+=(--newer-protocol)
fi
echo "client_versions: Ember server at $REMOTE; clients: ${CLIENTS[*]}"

declare -a RESULTS=()
failed=0
for client in "${CLIENTS[@]}"; do
  echo "== $client"
  t0=$SECONDS
  if ! venv="$(client_venv "$client")"; then
    RESULTS+=("FAIL $client: could not install it")
    failed=1
    continue
  fi
  t1=$SECONDS
  if timeout 900 "$venv/bin/python" "$ROOT/scripts/client_smoke.py" "${SMOKE_ARGS[@]}"; then
    RESULTS+=("PASS $client (install $((t1 - t0))s, smoke $((SECONDS - t1))s)")
  else
    RESULTS+=("FAIL $client (install $((t1 - t0))s, smoke $((SECONDS - t1))s)")
    failed=1
  fi
  if [ -n "$SERVER_PID" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "client_versions: the Ember server died; its log:" >&2
    cat "$WORK/server.log" >&2
    RESULTS+=("FAIL the Ember server died during $client")
    failed=1
    start_server
  fi
done

if [ "$failed" != 0 ] && [ -f "$WORK/server.log" ]; then
  echo "== the Ember server's log (last 40 lines)"
  tail -n 40 "$WORK/server.log"
fi
echo "== client versions"
for line in "${RESULTS[@]}" "${SKIPPED[@]}"; do
  echo "  $line"
done
echo "client_versions: $((SECONDS - START))s in all; $([ "$failed" = 0 ] && echo 'every version passed' || echo 'some version FAILED')"
exit "$failed"
