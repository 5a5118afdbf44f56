#!/usr/bin/env bash
# GPU checks for a GPU node (docs/benchmarks.md, "GPU throughput"): the starter kit's torch
# example and the cnn baseline on CUDA and on the CPU (same scores?), cnn training on CUDA, and
# inference throughput GPU vs CPU. Needs only python3 with torch, numpy and Pillow: no Docker,
# no Django. Make the two Smoke-Detect splits first, where the project's environment is:
#   .venv/bin/python -m benchmarks.smoke.detect --inputs D/val/inputs --labels D/val/labels \
#       --split val --count 200 --seed 1
#   .venv/bin/python -m benchmarks.smoke.detect --inputs D/train/inputs --labels D/train/labels \
#       --split train --count 1200 --seed 104
# then, from the repository root on the GPU node:  DATA=D OUT=results perf/gpu_checks.sh
set -u
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export DATA=${DATA:?DATA must name the folder holding val/ and train/}
OUT=${OUT:-gpu-checks}; mkdir -p "$OUT"
step() { echo; echo "=== $* ($(date +%T))"; }
step facts
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/nvidia-smi.txt"
nproc
python3 -c "import torch,numpy,PIL;print('torch',torch.__version__,'cuda',torch.version.cuda,torch.cuda.is_available(),torch.cuda.get_device_name(0),'numpy',numpy.__version__,'PIL',PIL.__version__)"
score() {  # $1 predictions, $2 name
    python3 -m evaluator score --task detection --truth $DATA/val/labels/truth.jsonl \
        --predictions "$1" --json > "$OUT/score-$2.json" && python3 - "$OUT/score-$2.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); m = d.get("metrics", d)
print(sys.argv[2], {k: m[k] for k in m if k in ("auc", "acc", "eer", "ap")})
PY
}
step "starter-kit torch example on CUDA"
mkdir -p /tmp/ex-cuda /tmp/ex-cpu
FORGERYBENCH_INPUT=$DATA/val/inputs FORGERYBENCH_OUTPUT=/tmp/ex-cuda PYTHONPATH=deploy/starter-kit \
    /usr/bin/time -v python3 deploy/starter-kit/examples/torch-detector/predict.py 2>&1 | grep -E "torch|Elapsed|Maximum resident|rror" 
score /tmp/ex-cuda/predictions.jsonl torch-example-cuda
FORGERYBENCH_INPUT=$DATA/val/inputs FORGERYBENCH_OUTPUT=/tmp/ex-cpu PYTHONPATH=deploy/starter-kit CUDA_VISIBLE_DEVICES= \
    python3 deploy/starter-kit/examples/torch-detector/predict.py 2>&1 | grep -E "torch|rror"
score /tmp/ex-cpu/predictions.jsonl torch-example-cpu
step "cnn baseline, shipped weights, CUDA and CPU"
mkdir -p /tmp/cnn-cuda /tmp/cnn-cpu
FORGERYBENCH_INPUT=$DATA/val/inputs FORGERYBENCH_OUTPUT=/tmp/cnn-cuda PYTHONPATH=deploy/starter-kit \
    python3 deploy/images/baselines/cnn/predict.py 2>&1 | grep -E "cnn|rror"
score /tmp/cnn-cuda/predictions.jsonl cnn-cuda
FORGERYBENCH_INPUT=$DATA/val/inputs FORGERYBENCH_OUTPUT=/tmp/cnn-cpu PYTHONPATH=deploy/starter-kit CUDA_VISIBLE_DEVICES= \
    python3 deploy/images/baselines/cnn/predict.py 2>&1 | grep -E "cnn|rror"
score /tmp/cnn-cpu/predictions.jsonl cnn-cpu
python3 - <<'PY'
import json
def load(p): return {r["id"]: r["score"] for r in map(json.loads, open(p))}
a, b = load("/tmp/cnn-cuda/predictions.jsonl"), load("/tmp/cnn-cpu/predictions.jsonl")
print("cnn cuda vs cpu: samples", len(a), "max |diff|", max(abs(a[k] - b[k]) for k in a))
a, b = load("/tmp/ex-cuda/predictions.jsonl"), load("/tmp/ex-cpu/predictions.jsonl")
print("example cuda vs cpu: samples", len(a), "max |diff|", max(abs(a[k] - b[k]) for k in a))
PY
cp /tmp/cnn-cuda/predictions.jsonl "$OUT/cnn-cuda-predictions.jsonl"
step "cnn training on CUDA (same recipe as train.sh: seed 0, smoke train split seed 104, 1200)"
/usr/bin/time -f "train wall %e s, max rss %M KiB" python3 deploy/images/baselines/cnn/train.py \
    --data $DATA/train --out /tmp/cnn-trained --seed 0 --device cuda 2>&1 | tail -5
cp /tmp/cnn-trained/train_log.json "$OUT/cnn-train-cuda-log.json" 2>/dev/null
python3 - <<'PY' && score /tmp/cnn-trained-pred/predictions.jsonl cnn-trained-on-cuda
import os, sys
os.environ["FORGERYBENCH_INPUT"] = os.path.join(os.environ["DATA"], "val", "inputs"); os.environ["FORGERYBENCH_OUTPUT"] = "/tmp/cnn-trained-pred"
os.makedirs("/tmp/cnn-trained-pred", exist_ok=True)
sys.path[:0] = ["deploy/starter-kit", "deploy/images/baselines/cnn"]
import predict
from forgerybench_starter import run
code = run(predict.predict_with(predict.load_model("/tmp/cnn-trained/weights.pt")), batch_size=32)
print("run exit", code)
PY
step "inference throughput: CUDA"
python3 perf/bench_gpu_inference.py --device cuda --batch-sizes 1 32 256 1024 --json "$OUT/gpu-inference-cuda.json"
step "inference throughput: CPU (same machine, 16 cores)"
python3 perf/bench_gpu_inference.py --device cpu --batch-sizes 1 32 256 --json "$OUT/gpu-inference-cpu.json"
step done
