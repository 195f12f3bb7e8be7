#!/bin/sh
# Predict RPC under load vs a bare gRPC echo, in one run (see bench/load.py):
#   bench/load.sh [load.py flags, e.g. --rounds 3 --seconds 20 --json out.json]
# Builds the server, the CLI, the load generator and the echo in
# build/release (RelWithDebInfo, as CI builds), then runs bench/load.py and
# prints the table that README.md quotes.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PROFUNDO_LOAD_BUILD_DIR:-$ROOT/build/release}
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" profundo-server profundo profundo-load profundo-echo-server >/dev/null
exec /usr/bin/python3 "$ROOT/bench/load.py" --build_dir "$BUILD" "$@"
