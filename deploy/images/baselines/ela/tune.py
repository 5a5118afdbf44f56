"""Tune the "ela" baseline's mask parameters on smoke train splits and write params.json.

From a checkout with the project's environment::

    python deploy/images/baselines/ela/tune.py

Deterministic: the train splits come from the smoke generators with the split name "train" and
the seeds recorded in params.json (never the benchmarks' val or test seeds).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the build context free of caches
sys.path[:0] = [
    str(HERE),
    str(HERE.parent / "_lib"),
    str(HERE.parents[2] / "starter-kit"),
    str(HERE.parents[3]),
]

import predict  # noqa: E402
import tuning  # noqa: E402

if __name__ == "__main__":
    tuning.tune_to_file(
        predict.residual,
        ["localization", "video_localization"],
        HERE / "params.json",
        method="ela",
        jpeg_quality=predict.QUALITY,
    )
