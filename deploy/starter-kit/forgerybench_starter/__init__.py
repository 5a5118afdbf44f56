"""ForgeryBench starter kit: the container contract done for you.

    from forgerybench_starter import run

    def predict(batch):
        return [0.5 for image in batch.images]     # detection: P(fake) per sample

    if __name__ == "__main__":
        raise SystemExit(run(predict))

`run` reads /input/task.json and /input/manifest.jsonl, loads images (and video frames)
in batches, calls your `predict(batch)`, writes /output/predictions.jsonl atomically and
checks it against the protocol before exiting; a broken prediction file is never published.
Pure Python 3.9+ with NumPy and Pillow (OpenCV only for video files).
"""

from .checks import check_predictions
from .contract import Sample, Task, read_task
from .runner import Batch, run

__all__ = ["Batch", "Sample", "Task", "check_predictions", "read_task", "run"]
__version__ = "0.1.0"
