#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan, -DPROFUNDO_FUZZ=ON,
# in build/fuzz) and runs each for N seconds from its committed seed corpus.
# Any crash, leak, timeout (> 10 s on one input) or RSS above 2 GiB fails
# the run; the input that did it is left in build/fuzz/artifacts/<target>/.
# New interesting inputs go to build/fuzz/corpus/<target>/ (not committed:
# copy a crashing input into tests/fuzz/corpus/<target>/ once fixed).
#
#   tests/fuzz/run.sh --seconds 20              every target (the CI stage)
#   tests/fuzz/run.sh --seconds 3600 spec       a long run of one target
#   tests/fuzz/run.sh --build-dir DIR --jobs N ...
#
# Targets: idx npy csv spec upload. Needs clang-14 and libclang-rt-14-dev
# (deploy/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=20
build=build/fuzz
jobs=$(nproc)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(idx npy csv spec upload)
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROFUNDO_FUZZ=ON \
  -DPROFUNDO_BUILD_BENCH=OFF -DPROFUNDO_WERROR=OFF "${launcher[@]}" >/dev/null
ninja -C "$build" -j"$jobs" "${targets[@]/%/_fuzzer}"

failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzzing $t for ${seconds} s =="
  # The first corpus directory receives new inputs; the seeds are read only.
  if ! ASAN_OPTIONS=detect_leaks=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$build/tests/fuzz/${t}_fuzzer" "$corpus" "tests/fuzz/corpus/$t" \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$artifacts/" -print_final_stats=1 \
       2>"$build/$t.log"; then
    tail -n 60 "$build/$t.log" >&2
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added|^#[0-9]+.*DONE" \
      "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "== fuzzing passed: ${targets[*]} =="
