"""What the platform mounts at /input (protocol §2)."""

import json
import os
from dataclasses import dataclass, field
from typing import Any

# The split format's names (the platform's evaluator.splitformat). The kit runs inside team
# images without the platform, so it keeps its own copy; the kit's tests tie the two together.
PROTOCOL = 1
TASK_FILE = "task.json"
MANIFEST_FILE = "manifest.jsonl"
PREDICTIONS_FILE = "predictions.jsonl"


def input_dir() -> str:
    return os.environ.get("FORGERYBENCH_INPUT", "/input")


def output_dir() -> str:
    return os.environ.get("FORGERYBENCH_OUTPUT", "/output")


@dataclass(frozen=True)
class Sample:
    """One manifest line: its id, the file's absolute path, and the other fields as given."""

    id: str
    path: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def video(self) -> Any:
        return self.fields.get("video")

    @property
    def role(self) -> Any:
        return self.fields.get("role")


@dataclass(frozen=True)
class Task:
    task: str
    track: str
    outputs: str
    samples: list[Sample]


class ContractError(RuntimeError):
    """/input does not look like the platform's contract (wrong protocol, bad manifest)."""


def read_task(root: str = "") -> Task:
    root = root or input_dir()
    with open(os.path.join(root, TASK_FILE), encoding="utf-8") as handle:
        task = json.load(handle)
    if task.get("protocol", PROTOCOL) != PROTOCOL:
        raise ContractError(f"protocol {task.get('protocol')} is not {PROTOCOL}: update the kit")
    samples = []
    with open(os.path.join(root, MANIFEST_FILE), encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("id"), str) or not isinstance(row.get("path"), str):
                raise ContractError(f"manifest line {number} has no string id and path")
            rest = {k: v for k, v in row.items() if k not in ("id", "path")}
            samples.append(Sample(row["id"], os.path.join(root, row["path"]), number, rest))
    outputs = task.get("outputs", PREDICTIONS_FILE)
    return Task(task=task["task"], track=task.get("track", ""), outputs=outputs, samples=samples)
