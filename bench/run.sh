#!/bin/sh
# Profundo vs PyTorch on Fashion-MNIST in one run (see bench/compare.py):
#   bench/run.sh [compare.py flags, e.g. --reps 5 --json out.json]
# Builds the engine's bench binary in build-bench (Release), then runs both
# frameworks alternately and prints the table that README.md quotes.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${PROFUNDO_BENCH_BUILD_DIR:-$ROOT/build-bench}
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" profundo-bench profundo-micro-bench >/dev/null
# Debian's python3-torch lives in /usr/bin/python3's dist-packages.
exec /usr/bin/python3 "$ROOT/bench/compare.py" --build_dir "$BUILD" "$@"
