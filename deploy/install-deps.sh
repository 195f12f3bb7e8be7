#!/usr/bin/env bash
# Installs everything Profundo needs to build, test, benchmark and run its
# demo, from Debian 12 packages only. Idempotent: a second run installs
# nothing new. Used by the README, by .ci/run and by deploy/Dockerfile.
#
#   deploy/install-deps.sh            build + test + demo dependencies
#   deploy/install-deps.sh --bench    also PyTorch with OpenBLAS (benchmarks)
#   deploy/install-deps.sh --image    also podman, buildah and debootstrap
#                                     (deploy/test-image.sh)
#   deploy/install-deps.sh --build-only  only what building profundo-server
#                                     and profundo needs (deploy/Dockerfile;
#                                     configure with -DPROFUNDO_BUILD_TESTS=OFF
#                                     -DPROFUNDO_BUILD_BENCH=OFF)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libdnnl-dev ocl-icd-opencl-dev opencl-headers
  libsqlite3-dev zlib1g-dev libssl-dev
)
# Tests, benchmarks and the demo (all but --build-only). clang-14 with its
# runtimes (libFuzzer, sanitizers) and libomp builds the fuzz targets
# (tests/fuzz/run.sh).
test_packages=(
  git libgtest-dev libgmock-dev libbenchmark-dev
  openssl
  dataset-fashion-mnist
  python3 python3-numpy python3-grpcio python3-grpc-tools python3-yaml
  clang-14 libclang-rt-14-dev libomp-14-dev
)
build_only=0
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-torch libopenblas0-openmp) ;;
    --image) packages+=(podman buildah debootstrap debian-archive-keyring) ;;
    --build-only) build_only=1 ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
if [ "$build_only" = 0 ]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
