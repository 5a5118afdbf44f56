#!/usr/bin/env bash
# Train the "cnn" baseline reproducibly and put weights.pt and train_log.json in this folder.
# 1. The Smoke-Detect generator (the project's environment) writes a *train* split: split name
#    "train", seed 104, 1200 images (no benchmark split uses this seed).
# 2. train.py runs inside forgerybench/base-torch (Debian's PyTorch, built offline by
#    deploy/starter-kit/base-torch/build.sh) with no network, on the CPU, 2 threads, seed 0.
# Usage: deploy/images/baselines/cnn/train.sh   (PYTHON defaults to the project's .venv)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
SPLIT_SEED=104 SPLIT_COUNT=1200 TRAIN_SEED=0 THREADS=2

work="$(mktemp -d "${TMPDIR:-/tmp}/forgerybench-cnn.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$repo" && "$python" -m benchmarks.smoke.detect --inputs "$work/data/inputs" \
    --labels "$work/data/labels" --split train --count "$SPLIT_COUNT" --seed "$SPLIT_SEED" \
    >/dev/null)
mkdir -m 777 "$work/out"
chmod -R a+rX "$work/data"
torch_tag="$("$repo/deploy/starter-kit/base-torch/build.sh" | tail -n 1)"
docker run --rm --network none --user 65534:65534 -e HOME=/tmp \
    -v "$here:/code:ro" -v "$work/data:/data:ro" -v "$work/out:/out" "$torch_tag" \
    python3 -B /code/train.py --data /data --out /out --seed "$TRAIN_SEED" --device cpu \
    --threads "$THREADS"
"$python" - "$work/out/train_log.json" "$SPLIT_SEED" "$SPLIT_COUNT" "$torch_tag" <<'PY'
import json, sys
path, seed, count, image = sys.argv[1:]
with open(path) as f:
    log = json.load(f)
log["data"] = {"generator": "smoke-detect", "split": "train", "seed": int(seed), "count": int(count)}
log["image"] = image
log["driver"] = "deploy/images/baselines/cnn/train.sh"
with open(path, "w") as f:
    json.dump(log, f, indent=1)
    f.write("\n")
PY
cp "$work/out/weights.pt" "$work/out/train_log.json" "$here/"
echo "wrote $here/weights.pt and train_log.json"
