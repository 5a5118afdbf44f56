"""ForgeryBench baseline "sanity-retrieval": chance level for provenance retrieval.

It never looks at the pixels: each query ranks the gallery by a hash of (query id, gallery id)
and keeps the first 100. Its expected R@k is what a random ranking earns, which anchors the
leaderboard's chance line and checks the retrieval contract end to end.

Runs on Debian bookworm's python3 (3.11) with the standard library only.
"""

import hashlib
import json
import os
import sys

INPUT = os.environ.get("FORGERYBENCH_INPUT", "/input")
OUTPUT = os.environ.get("FORGERYBENCH_OUTPUT", "/output")
MAX_RANKING = 100


def log(msg):
    print("sanity-retrieval: " + msg, file=sys.stderr, flush=True)


def chance_key(query, item):
    return hashlib.sha256(f"forgerybench-sanity:{query}:{item}".encode("utf-8")).hexdigest()


def main():
    with open(os.path.join(INPUT, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    if task.get("task") != "retrieval":
        log(f"unsupported task {task.get('task')!r}")
        return 2
    with open(os.path.join(INPUT, "manifest.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    queries = [i["id"] for i in items if i.get("role") == "query"]
    gallery = [i["id"] for i in items if i.get("role") == "gallery"]
    log(f"{len(queries)} queries, {len(gallery)} gallery images, track {task.get('track')}")
    out_path = os.path.join(OUTPUT, task.get("outputs", "predictions.jsonl"))
    with open(out_path, "w", encoding="utf-8") as out:
        for query in queries:
            ranking = sorted(gallery, key=lambda g: chance_key(query, g))[:MAX_RANKING]
            out.write(json.dumps({"id": query, "ranking": ranking}) + "\n")
    log(f"wrote {len(queries)} rankings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
