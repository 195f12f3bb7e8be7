#!/usr/bin/env bash
# The main job: installs what is needed, builds, starts profundo-server with
# its defaults on a fresh data dir, uploads the real Fashion-MNIST (the
# dataset-fashion-mnist package) through the CLI, trains the seed's dropout
# model (ELU, he_normal, Dropout 0.2, Nadam, standardized inputs, 2 epochs)
# as a job with live progress, then prints MC-dropout predictions (mean and
# std over 100 passes) for a few test images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build/release -j"$(nproc)" profundo-server profundo

FMNIST=/usr/share/datasets/fashion-mnist
PORT=${PROFUNDO_DEMO_PORT:-50051}
DATA_DIR=$(mktemp -d /tmp/profundo-demo.XXXXXX)
cli() { ./build/release/client/profundo --server="127.0.0.1:$PORT" "$@"; }

./build/release/server/profundo-server --listen="127.0.0.1:$PORT" \
  --data_dir="$DATA_DIR" --workers=1 > "$DATA_DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$DATA_DIR"' EXIT
for _ in $(seq 50); do cli --timeout=1s ping >/dev/null 2>&1 && break; sleep 0.2; done
cli ping

echo "== upload Fashion-MNIST (60,000 training images) =="
cli upload --name fashion-mnist-train \
  --images "$FMNIST/train-images-idx3-ubyte.gz" --labels "$FMNIST/train-labels-idx1-ubyte.gz"
DATASET=$(cli datasets | awk '/fashion-mnist-train/ {print $1; exit}')

echo "== the seed's dropout model =="
cli summary deploy/examples/seed_dropout.json

echo "== train (2 epochs, 5,000 images held out for validation) =="
OUT=$(mktemp)
cli submit deploy/examples/seed_dropout.json --dataset "$DATASET" \
  --config deploy/examples/seed_train.json --job_id "demo-$(date +%s)" --watch | tee "$OUT"
MODEL=$(sed -n 's/.*model \(m-[^ ]*\) version.*/\1/p' "$OUT" | tail -1)
rm -f "$OUT"

echo "== MC-dropout predictions (100 passes) for 8 test images =="
cli predict "$MODEL" --input "$FMNIST/t10k-images-idx3-ubyte.gz" \
  --labels "$FMNIST/t10k-labels-idx1-ubyte.gz" --count 8 --mc_samples 100 \
  --class_names fashion
