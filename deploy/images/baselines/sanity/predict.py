"""ForgeryBench baseline "sanity": chance level, by construction.

It never looks at the pixels: each score is a pseudo-random number in [0, 1) derived from a hash
of the sample id, so runs are reproducible and its expected AUC is 0.5. It exists to check the
container contract end to end (read /input, write /output/predictions.jsonl as a non-root user on
a read-only root with no network) and to anchor the leaderboard's chance line.

Runs on Debian bookworm's python3 (3.11) with the standard library only.
"""

import hashlib
import json
import os
import sys

INPUT = os.environ.get("FORGERYBENCH_INPUT", "/input")
OUTPUT = os.environ.get("FORGERYBENCH_OUTPUT", "/output")


def log(msg):
    print("sanity: " + msg, file=sys.stderr, flush=True)


def chance_score(sample_id):
    """Uniform-looking number in [0, 1) from the id's SHA-256 (52 bits, exact in a float)."""
    digest = hashlib.sha256(("forgerybench-sanity:" + sample_id).encode("utf-8")).hexdigest()
    return int(digest[:13], 16) / float(16**13)


def main():
    with open(os.path.join(INPUT, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    if task.get("task") != "detection":
        log(f"unsupported task {task.get('task')!r}")
        return 2
    with open(os.path.join(INPUT, "manifest.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    log(f"{len(items)} samples, track {task.get('track')}")
    out_path = os.path.join(OUTPUT, task.get("outputs", "predictions.jsonl"))
    with open(out_path, "w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps({"id": item["id"], "score": round(chance_score(item["id"]), 6)}))
            out.write("\n")
    log(f"wrote {len(items)} predictions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
