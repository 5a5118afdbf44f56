"""Install the Smoke-Detect benchmark: generate its splits and register them."""

from pathlib import Path

from django.conf import settings

from .models import Benchmark, Split, Task
from .services import benchmark_upsert, split_register, track_upsert
from .smoke.detect import build_detection_split

SMOKE_DETECT_SLUG = "smoke-detect"
SMOKE_DETECT_DESCRIPTION = (
    "Synthetic data, generated deterministically from real photographs that ship inside "
    "scikit-image: authentic crops versus crops carrying a real manipulation (a patch spliced "
    "from another photo and blended, a resampled region, or a copy-moved region). For trying "
    "the platform end to end; its numbers say nothing about real deepfakes."
)
# (split name, visibility, sample count, seed): val is public, test hidden.
SMOKE_DETECT_SPLITS = (
    ("val", Split.Visibility.PUBLIC, 200, 1),
    ("test", Split.Visibility.HIDDEN, 400, 2),
)


def smoke_detect_install(*, data_dir: Path | None = None, scale: float = 1.0) -> Benchmark:
    """Idempotent: files are rebuilt only when missing; rows are updated in place."""
    splits_root = Path(data_dir or settings.FORGERYBENCH_SPLITS_DIR) / SMOKE_DETECT_SLUG
    labels_root = Path(settings.FORGERYBENCH_LABELS_DIR) / SMOKE_DETECT_SLUG
    benchmark = benchmark_upsert(
        slug=SMOKE_DETECT_SLUG,
        name="Smoke-Detect",
        description=SMOKE_DETECT_DESCRIPTION,
        synthetic=True,
    )
    track = track_upsert(
        benchmark=benchmark,
        slug="image",
        name="Image detection",
        task=Task.DETECTION,
        primary_metric="auc",
        timeout_seconds=300,
        memory_mb=1024,
        cpus=1.0,
    )
    for name, visibility, count, seed in SMOKE_DETECT_SPLITS:
        inputs_dir = splits_root / name
        labels_dir = labels_root / name
        sample_count = max(2, int(count * scale)) // 2 * 2
        if (
            not (labels_dir / "truth.jsonl").is_file()
            or not (inputs_dir / "manifest.jsonl").is_file()
        ):
            build_detection_split(
                inputs_dir=inputs_dir,
                labels_dir=labels_dir,
                split=name,
                count=sample_count,
                seed=seed,
                track=SMOKE_DETECT_SLUG,
            )
        split_register(
            track=track,
            name=name,
            visibility=visibility,
            inputs_dir=inputs_dir,
            labels_path=labels_dir / "truth.jsonl",
        )
    return benchmark
