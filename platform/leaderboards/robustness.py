"""The robustness board: each team's entry (chosen as on the hidden boards) at each
perturbation level of a robustness track, and its skill retained (protocol §6)."""

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from accounts.selectors import team_effective
from benchmarks.disclosure import split_disclosed_through
from benchmarks.models import Split, Track
from evaluator.metrics import Table, load_table
from evaluator.robustness import SkillRetained, SplitScore, skill_retained
from submissions.artifacts import unit_table_path
from submissions.models import Result, Status
from submissions.selectors import result_filter_shown

from .selectors import entries_without_peeking


@dataclass(frozen=True)
class LevelResult:
    split: str
    perturbation: str
    level: float
    value: float | None


@dataclass(frozen=True)
class RobustnessRow:
    """One submission on a robustness track: the clean score, every level, skill retained.

    ``skill`` is the skill retained above chance (protocol §6, :mod:`evaluator.robustness`),
    overall and per perturbation, with 95% bootstrap intervals; ``at_chance`` rows have no
    skill above chance on the clean copy and are left out of the robustness ranking.
    """

    submission_id: int
    team: str
    method: str
    clean: float | None
    levels: list[LevelResult]
    mean_by_perturbation: dict[str, float]
    skill: SkillRetained
    rank: int | None = None


def _prevalence(result: Any, metric: str) -> float | None:
    n = (result.metrics or {}).get("n") or {}
    if metric.startswith("video_"):
        positives, total = n.get("positive_videos"), n.get("videos")
    else:
        positives, total = n.get("positives"), n.get("samples")
    if not isinstance(positives, int) or not isinstance(total, int) or total <= 0:
        return None
    return positives / total


def _table(submission_id: int, split: Split) -> Table | None:
    """The score step's own unit table (the scores tree; never a file among the artifacts,
    which a container wrote)."""
    path = unit_table_path(submission_id=submission_id, split_name=split.name)
    if not path.is_file():
        return None
    try:
        return load_table(path)
    except (OSError, ValueError, KeyError):
        return None


def _split_score(
    found: dict[int, Any],
    submission_id: int,
    split: Split | None,
    metric: str,
) -> SplitScore:
    result = found.get(split.pk) if split is not None else None
    if split is None or result is None:
        return SplitScore(None)
    table = _table(submission_id, split)
    return SplitScore(result.primary_value, table, _prevalence(result, metric))


def _one_per_entry(
    by_submission: dict[int, dict[int, Result]], *, clean: Split | None, track: Track
) -> dict[int, dict[int, Result]]:
    """One submission per team (baselines: per method), chosen as the hidden boards choose,
    without these splits' labels: final picks, else the entry rule on public numbers. Ranking
    every submission would hand a team that submits N times the best of N on hidden splits."""
    representatives = [
        found[clean.pk] if clean and clean.pk in found else next(iter(found.values()))
        for found in by_submission.values()
    ]
    chosen, _ = entries_without_peeking(representatives, track)
    return {r.submission_id: by_submission[r.submission_id] for r in chosen}


def robustness_results(*, track: Track, visible_only: bool = True) -> list[RobustnessRow]:
    """Per-level results and skill retained of each team's entry on ``track`` (one finished
    submission per team, chosen without these splits' labels; only results a board may show).

    Rows above chance come first, ranked by skill retained (best first); rows at chance follow,
    unranked, in submission order.
    """
    splits = [
        s for s in track.splits.all() if (s.results_visible or not visible_only) and not s.is_debug
    ]
    clean = next((s for s in splits if not s.perturbation), None)
    # Mildest level first: high JPEG quality and large resize factors are the mild ones.
    descending = {"jpeg", "resize"}
    perturbed = sorted(
        (s for s in splits if s.perturbation),
        key=lambda s: (
            s.perturbation,
            -(s.level or 0) if s.perturbation in descending else s.level,
        ),
    )
    # What any board may show: complete provenance, not removed, not disqualified.
    results = result_filter_shown(
        results=Result.objects.filter(split__in=splits, submission__status=Status.FINISHED)
    ).select_related("submission", "submission__team", "submission__team__merged_into")
    # Only results disclosed by a publication moment after their submission (protocol §5).
    cutoffs = {s.pk: split_disclosed_through(split=s) for s in splits}
    by_submission: dict[int, dict[int, Result]] = {}
    for result in results:
        cutoff = cutoffs[result.split_id]
        if visible_only and (cutoff is None or result.submission.created_at > cutoff):
            continue
        by_submission.setdefault(result.submission_id, {})[result.split_id] = result
    by_submission = _one_per_entry(by_submission, clean=clean, track=track)
    metric = track.primary_metric
    seed = int(settings.FORGERYBENCH_BOOTSTRAP_SEED)
    rows = []
    for submission_id, found in sorted(by_submission.items()):
        submission = next(iter(found.values())).submission
        clean_result = found.get(clean.pk) if clean else None
        clean_value = clean_result.primary_value if clean_result else None
        levels = [
            LevelResult(
                split=s.name,
                perturbation=s.perturbation,
                level=float(s.level or 0),
                value=found[s.pk].primary_value if s.pk in found else None,
            )
            for s in perturbed
        ]
        groups: dict[str, list[float]] = {}
        for level in levels:
            if level.value is not None:
                groups.setdefault(level.perturbation, []).append(level.value)

        skill = skill_retained(
            metric=metric,
            clean=_split_score(found, submission_id, clean, metric),
            levels=[
                (s.perturbation, _split_score(found, submission_id, s, metric))
                for s in perturbed
                if s.pk in found
            ],
            seed=seed,
        )
        rows.append(
            RobustnessRow(
                submission_id=submission_id,
                team=team_effective(submission.team).name,
                method=submission.method_name,
                clean=clean_value,
                levels=levels,
                mean_by_perturbation={kind: sum(v) / len(v) for kind, v in groups.items()},
                skill=skill,
            )
        )
    ranked = sorted(
        (r for r in rows if not r.skill.at_chance and r.skill.value is not None),
        key=lambda r: -(r.skill.value or 0.0),
    )
    out = [replace(r, rank=n) for n, r in enumerate(ranked, 1)]
    return out + [r for r in rows if r.skill.at_chance or r.skill.value is None]
