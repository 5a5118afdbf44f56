"""Where a run's files live: what the container wrote, and what the platform writes itself.

`artifacts/<submission>/<split>/` holds what a container wrote (unpacked from its output
bundle, regular files only): data the platform reads only through the validator and never
writes into. The platform's own files of a run (the unit table) live in a separate tree,
`scores/<submission>/<split>/`, that no container output ever touched.
"""

from pathlib import Path

from django.conf import settings

# What the container wrote, carried out of /output (the split format names it).
from evaluator.splitformat import PREDICTIONS_FILE

__all__ = ["PREDICTIONS_FILE", "UNIT_TABLE_FILE", "scores_dir_for", "unit_table_path"]

# Per-unit statistics of a scored split: what paired comparisons between entries resample.
UNIT_TABLE_FILE = "units.npz"


def scores_dir_for(*, submission_id: int, split_name: str) -> Path:
    """The platform's own folder for one run (never a container's output folder)."""
    return Path(settings.FORGERYBENCH_SCORES_DIR) / str(submission_id) / split_name


def unit_table_path(*, submission_id: int, split_name: str) -> Path:
    return scores_dir_for(submission_id=submission_id, split_name=split_name) / UNIT_TABLE_FILE
