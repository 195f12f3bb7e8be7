#!/usr/bin/env bash
# Builds and runs Profundo's whole test suite, installing what it needs first.
#
#   deploy/run-tests.sh           everything: release build (all labels),
#                                 ASan+UBSan build (all but slow), libFuzzer
#                                 short runs (clang, tests/fuzz/run.sh),
#                                 TSan build (service tests, worker pool
#                                 included; tests/tsan.supp)
#   deploy/run-tests.sh --quick   release build, unit tests only
#
# One build directory per configuration under build/; each is built once.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "run-tests.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

bash deploy/install-deps.sh
jobs=$(nproc)

configure_and_build() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j"$jobs"
}

start=$SECONDS
configure_and_build build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$quick" = 1 ]; then
  ctest --test-dir build/release -L unit --output-on-failure -j"$jobs"
  exit 0
fi
echo "== release: all tests =="
ctest --test-dir build/release --output-on-failure -j"$jobs"

echo "== AddressSanitizer + UBSan: all tests but slow =="
configure_and_build build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPROFUNDO_SANITIZE=address -DPROFUNDO_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan -LE slow --output-on-failure -j"$jobs"

# libFuzzer (clang, ASan+UBSan): each target for a short run from its seed
# corpus; a crash, leak, hang or RSS blow-up fails the suite.
echo "== libFuzzer: short runs =="
bash tests/fuzz/run.sh --seconds "${PROFUNDO_FUZZ_SECONDS:-20}" --jobs "$jobs"

# ThreadSanitizer: the service tests (label service, WorkerPoolTest among
# them), built alone (target profundo_service_tests). Debian's gRPC,
# protobuf, Abseil and OpenMP runtime are not instrumented: the test
# binaries carry tests/tsan/absl_sync_annotations.cc (Abseil's Mutex made
# visible), tests/tsan.supp lists what stays inside those libraries (each
# entry says why), and OpenMP runs one thread. history_size=7 keeps enough
# history for TSan to show (and the suppressions to match) both stacks.
echo "== ThreadSanitizer: service tests =="
tsan_start=$SECONDS
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPROFUNDO_SANITIZE=thread -DPROFUNDO_BUILD_BENCH=OFF >/dev/null
ninja -C build/tsan -j"$jobs" profundo_service_tests
TSAN_OPTIONS="halt_on_error=1 history_size=7 suppressions=$PWD/tests/tsan.supp" \
  OMP_NUM_THREADS=1 ctest --test-dir build/tsan -L service \
  --output-on-failure -j"$jobs"
echo "== ThreadSanitizer stage: $((SECONDS - tsan_start)) s =="
echo "== all configurations passed in $((SECONDS - start)) s =="
