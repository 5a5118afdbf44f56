"""Sleep, then score every sample of /input/manifest.jsonl (a hash of its id, in [0, 1))."""

import hashlib
import json
import os
import time

time.sleep(float(os.environ.get("SLEEP_SECONDS", "5")))
with open("/input/manifest.jsonl") as manifest, open("/output/predictions.jsonl", "w") as out:
    for line in manifest:
        if line.strip():
            sample = json.loads(line)["id"]
            score = int(hashlib.sha256(sample.encode()).hexdigest()[:13], 16) / 16.0**13
            out.write(json.dumps({"id": sample, "score": score}) + "\n")
