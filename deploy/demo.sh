#!/usr/bin/env bash
# The main job: installs what is needed, builds, and trains the seed's
# dropout model (ELU, he_normal, Dropout 0.2, Nadam, standardized inputs) on
# the real Fashion-MNIST for 2 epochs with live progress, then prints
# MC-dropout predictions (mean and std over 100 passes) for a few test images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build/release -j"$(nproc)" profundo-fit
./build/release/engine/profundo-fit \
  --spec deploy/examples/seed_dropout.json \
  --config deploy/examples/seed_train.json \
  --mc_samples 100 --show 5
