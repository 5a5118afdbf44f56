"""ForgeryBench baseline "sanity-video-localization": chance level for frame masks.

It never looks at the pixels: every frame of a video gets a mask of one constant grey value
drawn from a hash of the video id, so a video is either marked manipulated everywhere or
nowhere. It checks the video-localization contract end to end.

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
    print("sanity-video-localization: " + msg, file=sys.stderr, flush=True)


def chance_byte(key):
    return hashlib.sha256(("forgerybench-sanity:" + key).encode("utf-8")).digest()[0]


def main():
    with open(os.path.join(INPUT, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    if task.get("task") != "video_localization":
        log(f"unsupported task {task.get('task')!r}")
        return 2
    with open(os.path.join(INPUT, "manifest.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    log(f"{len(items)} frames, track {task.get('track')}")
    os.makedirs(os.path.join(OUTPUT, "masks"), exist_ok=True)
    out_path = os.path.join(OUTPUT, task.get("outputs", "predictions.jsonl"))
    with open(out_path, "w", encoding="utf-8") as out:
        for n, item in enumerate(items):
            with Image.open(os.path.join(INPUT, item["path"])) as img:
                size = img.size
            name = f"masks/{n:07d}.png"
            Image.new("L", size, chance_byte(item["video"])).save(os.path.join(OUTPUT, name))
            out.write(json.dumps({"id": item["id"], "mask": name}) + "\n")
    log(f"wrote {len(items)} predictions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
