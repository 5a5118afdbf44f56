"""ForgeryBench baseline "sanity-localization": chance level for image localization.

It never looks at the pixels: for each image it writes a mask of one constant grey value v
drawn from a hash of the image id (so P(manipulated) = v/255 everywhere) and the image score
v/255. Its pixel F1 is what "everything is manipulated" earns when v >= 128 and 0 otherwise.
It checks the localization contract end to end: mask PNGs of the input's size under /output.

Runs on Debian bookworm's python3 (3.11) with Pillow.
"""

import hashlib
import json
import os
import sys

from PIL import Image

INPUT = os.environ.get("FORGERYBENCH_INPUT", "/input")
OUTPUT = os.environ.get("FORGERYBENCH_OUTPUT", "/output")


def log(msg):
    print("sanity-localization: " + msg, file=sys.stderr, flush=True)


def chance_byte(sample_id):
    return hashlib.sha256(("forgerybench-sanity:" + sample_id).encode("utf-8")).digest()[0]


def main():
    with open(os.path.join(INPUT, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    if task.get("task") != "localization":
        log(f"unsupported task {task.get('task')!r}")
        return 2
    with open(os.path.join(INPUT, "manifest.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    log(f"{len(items)} images, track {task.get('track')}")
    os.makedirs(os.path.join(OUTPUT, "masks"), exist_ok=True)
    out_path = os.path.join(OUTPUT, task.get("outputs", "predictions.jsonl"))
    with open(out_path, "w", encoding="utf-8") as out:
        for n, item in enumerate(items):
            with Image.open(os.path.join(INPUT, item["path"])) as img:
                size = img.size
            value = chance_byte(item["id"])
            name = f"masks/{n:06d}.png"
            Image.new("L", size, value).save(os.path.join(OUTPUT, name))
            out.write(json.dumps({"id": item["id"], "mask": name, "score": round(value / 255, 6)}))
            out.write("\n")
    log(f"wrote {len(items)} predictions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
