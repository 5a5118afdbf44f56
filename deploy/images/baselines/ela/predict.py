"""ForgeryBench baseline "ela": error level analysis, for image and video-frame localization.

Recompress the image once as JPEG at a fixed quality and take the absolute difference to the
original (the "error level"), averaged over the colour channels. Regions that went through a
different history (pasted, resampled, inpainted) respond to the recompression differently from
the rest of the photo; the shared residual_mask turns the local error level into a mask,
with parameters tuned by tune.py on a smoke *train* split (params.json records it). Video
frames are treated one by one.

Built on the starter kit (forgerybench_starter), which reads the manifest, writes the masks and
checks the output. Runs on Debian bookworm's python3 (3.11), NumPy 1.24 and Pillow 9.4.
"""

import io
import json
import os

import numpy as np
from forgerybench_starter import run
from PIL import Image
from residual_mask import robust_z, to_mask

QUALITY = 90
PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "params.json")


def residual(rgb):
    """Mean absolute difference between the image and its JPEG recompression, per pixel."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(
        buffer, format="JPEG", quality=QUALITY
    )
    buffer.seek(0)
    with Image.open(buffer) as img:
        again = np.asarray(img.convert("RGB"), dtype=np.float64)
    return np.abs(rgb.astype(np.float64) - again).mean(axis=2)


def load_params(path=PARAMS):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def predict_with(params):
    def predict(batch):
        p = params[batch.task]
        return [to_mask(robust_z(residual(rgb), p["window"]), p) for rgb in batch.images]

    return predict


if __name__ == "__main__":
    raise SystemExit(run(predict_with(load_params()), batch_size=16))
