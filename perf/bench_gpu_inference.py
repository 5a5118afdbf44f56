"""Inference throughput of the "cnn" baseline's network on the CPU or a GPU.

Standalone: needs PyTorch and NumPy only (no Django, no Docker). It imports the network from
deploy/images/baselines/cnn/model.py, loads the shipped weights when PyTorch can read them
(random weights otherwise: throughput does not depend on them), and times forward passes on
128 x 128 RGB batches::

    python3 perf/bench_gpu_inference.py --device cuda [--batch-sizes 1 32 256] [--json out.json]

Per batch size: warm-up passes, then --repeats timed passes of --iterations batches each
(torch.cuda.synchronize before reading the clock on CUDA); the table shows the median
images/s and per-batch latency over the passes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

CNN = Path(__file__).resolve().parents[1] / "deploy" / "images" / "baselines" / "cnn"
sys.path.insert(0, str(CNN))
from model import SmallForensicNet  # noqa: E402


def load(device: torch.device) -> tuple[torch.nn.Module, str]:
    path = CNN / "weights.pt"
    try:
        saved = torch.load(path, map_location="cpu")
        model = SmallForensicNet(saved["width"])
        model.load_state_dict(saved["state_dict"])
        source = str(path.name)
    except (OSError, RuntimeError, KeyError) as exc:
        print(f"random weights ({exc.__class__.__name__}: {exc})", file=sys.stderr)
        model, source = SmallForensicNet(), "random"
    return model.to(device).eval(), source


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def measure(
    model: torch.nn.Module,
    device: torch.device,
    batch: int,
    size: int,
    *,
    warmup: int,
    iterations: int,
    repeats: int,
) -> dict[str, float]:
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, size=(batch, 3, size, size), dtype=np.uint8))
    x = x.to(device).float()
    for _ in range(warmup):
        model(x)
    sync(device)
    rates, latencies = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            model(x)
        sync(device)
        elapsed = time.perf_counter() - start
        rates.append(batch * iterations / elapsed)
        latencies.append(elapsed / iterations * 1000)
    return {
        "batch_size": batch,
        "images_per_s": round(statistics.median(rates), 1),
        "ms_per_batch": round(statistics.median(latencies), 3),
        "min_images_per_s": round(min(rates), 1),
        "max_images_per_s": round(max(rates), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument("--size", type=int, default=128, help="image side in pixels")
    parser.add_argument("--warmup", type=int, default=3, help="untimed passes per batch size")
    parser.add_argument("--iterations", type=int, default=10, help="batches per timed pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (median shown)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available to this PyTorch")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    model, source = load(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    rows = [
        measure(
            model,
            device,
            b,
            args.size,
            warmup=args.warmup,
            iterations=args.iterations,
            repeats=args.repeats,
        )
        for b in args.batch_sizes
    ]
    report = {
        "device": args.device,
        "device_name": name or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "weights": source,
        "image_size": args.size,
        "warmup": args.warmup,
        "iterations": args.iterations,
        "repeats": args.repeats,
        "rows": rows,
    }
    print(
        f"cnn baseline inference, {args.size}x{args.size} RGB, {report['device_name']} "
        f"({args.device}, torch {torch.__version__}, {report['threads']} CPU threads)"
    )
    print(f"{'batch':>6} {'images/s':>12} {'ms/batch':>10} {'min..max images/s':>22}")
    for r in rows:
        spread = f"{r['min_images_per_s']:.1f}..{r['max_images_per_s']:.1f}"
        print(
            f"{r['batch_size']:>6} {r['images_per_s']:>12.1f} {r['ms_per_batch']:>10.3f} "
            f"{spread:>22}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
