"""Skill retained above chance under perturbations (protocol §6).

A ratio of raw scores (mean over levels / clean) rewards a model at chance: a coin flip keeps
100% of its AUC under any perturbation. Skill retained measures what is left of the skill a
model has *above chance*::

    skill retained = (mean over levels of m  -  chance) / (m_clean  -  chance)

where chance is 0.5 for AUC and EER, and the split's prevalence (share of positive units) for
AP. 1 means nothing was lost, 0 means the perturbed copies are scored at chance. Metrics
without a chance level (F1, IoU, recall@k) use 0: skill retained is then the plain ratio.

The 95% interval is a percentile bootstrap: each copy (clean and every level) is resampled
with the protocol's scheme (:func:`evaluator.bootstrap.bootstrap_distribution`, same seed), and
the ratio is taken resample by resample. Copies carry fresh ids, so their resamples are not
paired unit by unit; treating them as independent makes the interval wider, not narrower.

A model whose clean interval does not lie wholly above chance has no skill to retain: its
ratio divides by noise. :func:`skill_retained` marks it ``at_chance`` and boards leave it out of
the robustness ranking.

>>> skill = skill_retained(metric="auc", clean=SplitScore(0.9), levels=[("jpeg", SplitScore(0.7))])
>>> round(skill.value, 6)
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from evaluator.bootstrap import N_RESAMPLES, bootstrap_distribution, percentile_interval
from evaluator.metrics.tables import Table

HALF = {"auc", "video_auc", "image_auc", "pixel_auc", "pooled_pixel_auc", "eer", "video_eer"}
PREVALENCE = {"ap", "video_ap"}
LOWER_IS_BETTER = {"eer", "video_eer", "log_loss", "video_log_loss"}


@dataclass(frozen=True)
class SplitScore:
    """One copy's value of the metric, its per-unit table (for the interval) and prevalence."""

    value: float | None
    table: Table | None = None
    prevalence: float | None = None  # share of positive units, for AP's chance level


def chance_level(metric: str, prevalence: float | None = None) -> float | None:
    """The metric's value at chance: 0.5, the prevalence (AP; None if unknown), or 0."""
    if metric in HALF:
        return 0.5
    if metric in PREVALENCE:
        return prevalence
    return 0.0


@dataclass(frozen=True)
class Skill:
    value: float | None
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class SkillRetained:
    """Overall and per perturbation kind; ``at_chance``: no skill above chance on the clean copy."""

    metric: str
    chance: float | None
    at_chance: bool
    clean_interval: tuple[float, float] | None
    value: float | None
    interval: tuple[float, float] | None
    by_kind: dict[str, Skill] = field(default_factory=dict)


def _distribution(score: SplitScore, metric: str, seed: int, n: int) -> NDArray[np.float64] | None:
    if score.table is None or metric not in score.table.metric_names():
        return None
    return bootstrap_distribution(score.table, metric, n_resamples=n, seed=seed)


def _ratio(level_mean: float, clean: float, chance: float) -> float | None:
    gap = clean - chance
    return None if gap == 0 else (level_mean - chance) / gap


def skill_retained(
    *,
    metric: str,
    clean: SplitScore,
    levels: Sequence[tuple[str, SplitScore]],
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
) -> SkillRetained:
    """Skill retained above chance, overall and per kind, with percentile intervals."""
    chance = chance_level(metric, clean.prevalence)
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    clean_dist = _distribution(clean, metric, seed, n_resamples)
    clean_interval = None if clean_dist is None else percentile_interval(clean_dist)
    if chance is None or clean.value is None:
        return SkillRetained(metric, chance, True, clean_interval, None, None)
    if clean_interval is not None:
        # Above chance means the whole interval lies on the better side of chance.
        at_chance = (
            min(sign * (clean_interval[0] - chance), sign * (clean_interval[1] - chance)) <= 0
        )
    else:
        at_chance = sign * (clean.value - chance) <= 0
    kinds = sorted({kind for kind, _ in levels})
    dists = {id(score): _distribution(score, metric, seed, n_resamples) for _, score in levels}

    def one(selected: list[SplitScore]) -> Skill:
        values = [s.value for s in selected if s.value is not None]
        if not values or clean.value is None or chance is None:
            return Skill(None)
        point = _ratio(float(np.mean(values)), clean.value, chance)
        parts = [dists[id(s)] for s in selected]
        if clean_dist is None or any(p is None for p in parts) or point is None:
            return Skill(point)
        level_mean = np.mean(np.vstack([p for p in parts if p is not None]), axis=0)
        gap = clean_dist - chance
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(gap != 0, (level_mean - chance) / gap, np.nan)
        return Skill(point, percentile_interval(ratios))

    overall = one([score for _, score in levels])
    by_kind = {kind: one([s for k, s in levels if k == kind]) for kind in kinds}
    return SkillRetained(
        metric, chance, at_chance, clean_interval, overall.value, overall.interval, by_kind
    )
