"""Public and private parts of a hidden split: fixed by the seed, disjoint, each scored alone."""

import numpy as np
import pytest

from evaluator.metrics.tables import DetectionTable
from evaluator.parts import public_units, score_parts, table_subset


def _table(scores: np.ndarray, videos: list[str] | None = None) -> DetectionTable:
    ids = [f"s{i:03d}" for i in range(len(scores))]
    labels = np.arange(len(scores)) % 2
    return DetectionTable(ids, labels, scores, videos)


def test_the_public_part_depends_on_ids_and_seed_only() -> None:
    units = [f"u{i}" for i in range(100)]
    part = public_units(units, fraction=0.3, seed=7)
    assert len(part) == 30 and part <= set(units)
    assert part == public_units(list(reversed(units)), fraction=0.3, seed=7)
    assert part != public_units(units, fraction=0.3, seed=8)
    assert len(public_units(["a", "b"], fraction=0.01, seed=0)) == 1
    assert len(public_units(["a", "b"], fraction=0.99, seed=0)) == 1
    with pytest.raises(ValueError, match="public fraction"):
        public_units(units, fraction=1.0, seed=0)


def test_the_private_score_is_the_complement_scored_alone() -> None:
    rng = np.random.default_rng(0)
    table = _table(rng.random(200))
    parts = score_parts(table, fraction=0.25, seed=3, primary="auc", n_resamples=50)
    public = public_units(table.units, fraction=0.25, seed=3)
    private = frozenset(table.units) - public
    assert parts["public"]["n_units"] == 50 and parts["private"]["n_units"] == 150
    alone = table_subset(table, private)
    assert parts["private"]["metrics"] == alone.compute_all()
    # Changing the predictions on the public part leaves the private score unchanged.
    moved = table.scores.copy()
    for i, unit in enumerate(table.units):
        if unit in public:
            moved[i] = 1.0 - moved[i]
    again = score_parts(_table(moved), fraction=0.25, seed=3, primary="auc", n_resamples=50)
    assert again["private"]["metrics"] == parts["private"]["metrics"]
    assert again["public"]["metrics"] != parts["public"]["metrics"]
    assert parts["private"]["units_sha256"] != parts["public"]["units_sha256"]


def test_frame_tracks_split_by_video() -> None:
    videos = [f"v{i // 4}" for i in range(40)]  # ten videos of four frames
    table = _table(np.linspace(0, 1, 40), videos)
    parts = score_parts(table, fraction=0.5, seed=1, primary="video_auc", n_resamples=20)
    assert parts["public"]["unit"] == "video"
    assert parts["public"]["n_units"] + parts["private"]["n_units"] == 10
    assert parts["public"]["n"]["samples"] % 4 == 0
