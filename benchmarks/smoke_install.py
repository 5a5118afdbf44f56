"""Install the smoke benchmarks declared in benchmarks/definitions/smoke.yaml."""

from .definitions_apply import LoadReport, definitions_apply
from .models import Benchmark
from .spec import DEFINITIONS_DIR, BenchmarkDef, load_definitions

SMOKE_FILE = DEFINITIONS_DIR / "smoke.yaml"
SMOKE_DETECT_SLUG = "smoke-detect"


def smoke_definitions() -> list[BenchmarkDef]:
    return load_definitions([SMOKE_FILE])


def smoke_install(*, scale: float = 1.0, tracks: set[str] | None = None) -> LoadReport:
    """Idempotent: files are built only when missing or changed; rows are updated in place.

    ``tracks`` limits the install to some ``benchmark`` or ``benchmark/track`` names.
    """
    return definitions_apply(smoke_definitions(), scale=scale, tracks=tracks)


def smoke_detect_install(*, scale: float = 1.0) -> Benchmark:
    """Only Smoke-Detect's image track (val public, test hidden): what most tests need."""
    smoke_install(scale=scale, tracks={f"{SMOKE_DETECT_SLUG}/image"})
    return Benchmark.objects.get(slug=SMOKE_DETECT_SLUG)
