"""Iterate the manifest in batches, call the team's predict, write and check the output."""

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checks import check_predictions, format_problems
from .contract import Sample, Task, output_dir, read_task
from .loading import image_size, load_rgb
from .writer import publish, write_jsonl, write_mask


@dataclass
class Batch:
    """Samples and their decoded pixels; `gallery` holds the gallery on retrieval tracks."""

    task: str
    samples: list[Sample]
    loader: Callable[[str], Any] = load_rgb
    gallery: list[Sample] = field(default_factory=list)
    _images: list[Any] | None = None

    @property
    def ids(self) -> list[str]:
        return [sample.id for sample in self.samples]

    @property
    def images(self) -> list[Any]:
        """Loaded on first use, so a predict that reads files itself pays nothing."""
        if self._images is None:
            self._images = [self.loader(sample.path) for sample in self.samples]
        return self._images

    def __len__(self) -> int:
        return len(self.samples)


def log(message: str) -> None:
    print(f"forgerybench-starter: {message}", file=sys.stderr, flush=True)


def _row(task: Task, sample: Sample, answer: Any, index: int, out: str) -> dict[str, Any]:
    """Turn what predict returned for one sample into a protocol §3 line."""
    if task.task == "detection":
        return {"id": sample.id, "score": float(answer)}
    if task.task == "retrieval":
        return {"id": sample.id, "ranking": [str(item) for item in answer][:100]}
    score = None
    if isinstance(answer, tuple):
        answer, score = answer
    relative = f"masks/{index:07d}.png"
    write_mask(os.path.join(out, relative), answer)
    row: dict[str, Any] = {"id": sample.id, "mask": relative}
    if score is not None and task.task == "localization":
        row["score"] = float(score)
    return row


def run(
    predict: Callable[[Batch], Sequence[Any]],
    *,
    batch_size: int = 16,
    loader: Callable[[str], Any] = load_rgb,
) -> int:
    """Run `predict` over the whole manifest; return the exit status for the container.

    predict(batch) returns one answer per sample: detection a score in [0, 1];
    localization a mask (H x W, floats in [0, 1] or uint8) or (mask, score);
    video_localization a mask; retrieval a ranking (gallery ids, best first).
    """
    task = read_task()
    out = output_dir()
    todo = task.samples
    gallery: list[Sample] = []
    if task.task == "retrieval":
        gallery = [s for s in task.samples if s.role == "gallery"]
        todo = [s for s in task.samples if s.role == "query"]
    log(f"{len(todo)} samples to predict, task {task.task}, track {task.track}")
    start = time.monotonic()
    rows: list[dict[str, Any]] = []
    for begin in range(0, len(todo), batch_size):
        batch = Batch(task.task, todo[begin : begin + batch_size], loader, gallery)
        answers = list(predict(batch))
        if len(answers) != len(batch):
            log(f"predict returned {len(answers)} answers for a batch of {len(batch)}")
            return 3
        for offset, (sample, answer) in enumerate(zip(batch.samples, answers, strict=True)):
            rows.append(_row(task, sample, answer, begin + offset, out))
    target = os.path.join(out, task.outputs)
    partial = write_jsonl(target, rows)
    sizes = None
    if task.task in ("localization", "video_localization"):
        sizes = {s.id: image_size(s.path) for s in todo if not s.path.endswith(".mp4")}
    problems = check_predictions(partial, task, sizes)
    if problems:
        os.unlink(partial)
        log(
            "the predictions break the contract; nothing was published:\n"
            + format_problems(problems)
        )
        return 4
    publish(partial, target)
    log(f"wrote {len(rows)} predictions in {time.monotonic() - start:.1f} s")
    return 0
