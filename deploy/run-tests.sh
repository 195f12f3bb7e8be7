#!/usr/bin/env bash
# Builds and runs Profundo's whole test suite, installing what it needs first.
#
#   deploy/run-tests.sh           everything: release build (all labels),
#                                 ASan+UBSan build (all but slow), libFuzzer
#                                 short runs (clang, tests/fuzz/run.sh),
#                                 TSan build (worker pool and service tests)
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

# ThreadSanitizer: the worker pool's tests, built alone.
# Debian's Abseil and OpenMP runtime are not instrumented.
tsan_targets=worker_pool_test
if [ -f tests/service/$tsan_targets.cc ]; then
  echo "== ThreadSanitizer: worker pool =="
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPROFUNDO_SANITIZE=thread -DPROFUNDO_BUILD_BENCH=OFF >/dev/null
  # shellcheck disable=SC2086
  ninja -C build/tsan -j"$jobs" $tsan_targets
  TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
    OMP_NUM_THREADS=1 ctest --test-dir build/tsan -R '^WorkerPoolTest[.]' --output-on-failure -j"$jobs"
fi
echo "== all configurations passed in $((SECONDS - start)) s =="
