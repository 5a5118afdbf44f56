"""The public and private parts of a hidden split (Kaggle style), each scored on its own units.

A phase may declare ``public_fraction``: a fixed subset of each hidden split's resampling units
(samples, images, queries; videos on frame tracks), chosen by a seed alone, whatever the
submission, is its *public part*, shown at once; the complement is the *private part*, shown
only at publication. Each part is scored from its own units' rows of the unit table, with its
own bootstrap interval: the private score is never derived from the public one or from the
whole-split score.

>>> sorted(public_units(("a", "b", "c", "d"), fraction=0.5, seed=1)) == sorted(
...     public_units(("d", "c", "b", "a"), fraction=0.5, seed=1))
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from evaluator.bootstrap import N_RESAMPLES, bootstrap_interval
from evaluator.metrics.tables import Table


def public_units(units: Sequence[str], *, fraction: float, seed: int) -> frozenset[str]:
    """The public part's units: the ``round(fraction * n)`` units (at least one, and at least
    one left private) whose seeded SHA-256 is smallest. Depends on the unit ids and the seed
    only, so every submission on the split gets the same part."""
    if not 0 < fraction < 1:
        raise ValueError(f"public fraction must lie in (0, 1), got {fraction!r}")
    distinct = sorted(set(units))
    if len(distinct) < 2:
        raise ValueError("a split needs at least two units to hold a public and a private part")
    size = min(len(distinct) - 1, max(1, round(fraction * len(distinct))))
    ranked = sorted(distinct, key=lambda u: hashlib.sha256(f"{seed}:{u}".encode()).hexdigest())
    return frozenset(ranked[:size])


def table_subset(table: Table, keep: frozenset[str]) -> Table:
    """A table of the same task holding only the rows of the units in ``keep``."""
    arrays = table.arrays()
    row_units = arrays["videos"] if "videos" in arrays else arrays["ids"]
    mask = np.isin(row_units, np.array(sorted(keep)))
    return type(table).from_arrays({key: value[mask] for key, value in arrays.items()})


def _units_sha256(units: frozenset[str]) -> str:
    return hashlib.sha256("\n".join(sorted(units)).encode()).hexdigest()


def _score_part(
    table: Table, keep: frozenset[str], *, primary: str, bootstrap_seed: int, n_resamples: int
) -> dict[str, Any]:
    part = table_subset(table, keep)
    interval = bootstrap_interval(part, primary, n_resamples=n_resamples, seed=bootstrap_seed)
    return {
        "metrics": part.compute_all(),
        "n": part.counts(),
        "ci": {primary: interval.as_list()},
        "unit": part.unit_kind,
        "n_units": len(part.units),
        "units_sha256": _units_sha256(keep),
    }


def score_parts(
    table: Table,
    *,
    fraction: float,
    seed: int,
    primary: str,
    bootstrap_seed: int = 0,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, Any]:
    """``{"public": {...}, "private": {...}, "fraction", "seed"}``: each part's metrics, counts,
    interval of the primary metric, unit kind and count, and the SHA-256 of its unit ids."""
    public = public_units(table.units, fraction=fraction, seed=seed)
    private = frozenset(table.units) - public
    settings = {"primary": primary, "bootstrap_seed": bootstrap_seed, "n_resamples": n_resamples}
    return {
        "fraction": fraction,
        "seed": seed,
        "public": {"fraction": fraction, **_score_part(table, public, **settings)},  # type: ignore[arg-type]
        "private": {"fraction": 1 - fraction, **_score_part(table, private, **settings)},  # type: ignore[arg-type]
    }
