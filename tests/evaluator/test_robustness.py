"""Skill retained above chance: the chance model gets none, intervals come from the tables."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.metrics import DetectionTable
from evaluator.robustness import SplitScore, chance_level, skill_retained


def _score(labels: np.ndarray, scores: np.ndarray, metric: str = "auc") -> SplitScore:
    table = DetectionTable([f"s{i}" for i in range(labels.size)], labels, scores)
    return SplitScore(table.compute(metric), table, float(labels.mean()))


def _model(rng: np.random.Generator, labels: np.ndarray, signal: float) -> np.ndarray:
    """Scores in [0, 1] that separate the classes by ``signal`` (0: a coin flip)."""
    return np.clip(0.5 + signal * (labels - 0.5) + rng.normal(0, 0.15, labels.size), 0, 1)


def test_chance_levels() -> None:
    assert chance_level("auc") == chance_level("video_auc") == chance_level("eer") == 0.5
    assert chance_level("ap", 0.3) == 0.3 and chance_level("ap") is None
    assert chance_level("pixel_f1") == 0.0


def test_a_coin_flip_has_no_skill_to_retain() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 100)
    clean = _score(labels, rng.random(200))
    levels = [("jpeg", _score(labels, rng.random(200))) for _ in range(3)]
    skill = skill_retained(metric="auc", clean=clean, levels=levels, n_resamples=300)
    assert skill.at_chance
    assert skill.clean_interval is not None and skill.clean_interval[0] < 0.5


def test_a_model_that_keeps_its_skill_and_one_that_loses_it() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 150)
    clean = _score(labels, _model(rng, labels, 0.4))
    kept = [("noise", _score(labels, _model(rng, labels, 0.4))) for _ in range(2)]
    lost = [("blur", _score(labels, rng.random(300))) for _ in range(2)]
    skill = skill_retained(metric="auc", clean=clean, levels=kept + lost, n_resamples=300)
    assert not skill.at_chance
    noise, blur = skill.by_kind["noise"], skill.by_kind["blur"]
    assert noise.value is not None and 0.85 < noise.value < 1.15
    assert noise.interval is not None and noise.interval[0] < noise.value < noise.interval[1]
    assert blur.value is not None and abs(blur.value) < 0.15
    assert blur.interval is not None and blur.interval[0] < 0 < blur.interval[1]
    # Overall: the plain formula on the point values.
    mean = np.mean([s.value for _, s in kept + lost])
    assert clean.value is not None
    assert skill.value == pytest.approx((mean - 0.5) / (clean.value - 0.5))


def test_ap_measures_skill_above_the_prevalence() -> None:
    rng = np.random.default_rng(2)
    labels = np.array([1] * 60 + [0] * 140)
    clean = _score(labels, _model(rng, labels, 0.5), "ap")
    noisy = _score(labels, rng.random(200), "ap")
    skill = skill_retained(metric="ap", clean=clean, levels=[("noise", noisy)], n_resamples=200)
    assert skill.chance == pytest.approx(0.3)
    assert noisy.value is not None and clean.value is not None and skill.value is not None
    assert skill.value == pytest.approx((noisy.value - 0.3) / (clean.value - 0.3))
    assert abs(skill.value) < 0.25


def test_lower_is_better_metrics_keep_the_sign_right() -> None:
    clean, level = SplitScore(0.1), SplitScore(0.3)
    skill = skill_retained(metric="eer", clean=clean, levels=[("jpeg", level)])
    assert skill.value == pytest.approx(0.5) and not skill.at_chance and skill.interval is None
    assert skill_retained(metric="eer", clean=SplitScore(0.6), levels=[]).at_chance
