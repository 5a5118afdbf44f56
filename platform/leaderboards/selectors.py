"""Reads behind the leaderboard pages: one row per team on a split.

Which submission stands for a team on a public split follows the track's entry rule: its best
result by the primary metric, or its latest finished submission. On a hidden split the choice is
made without that split's labels (protocol §5, selection without peeking): among the team's
disclosed results, its final picks if it made any, then the entry rule applied on the public
split (or on the hidden split's public part), never on the hidden numbers. Each row says which
rule chose it. The out-of-distribution tier has one row per final pick (only picks are ever run
there). Hidden rows appear only once disclosed (submissions.disclosure). Disqualified
submissions never appear.
Baseline rows are the platform's reference methods: each method keeps its own row. Rows carry
a shared rank (paired bootstrap against the row above) and a rank range from the 95% intervals
(as Chatbot Arena shows it). A board is cached under a key that changes whenever a result is
written or the split's publication changes, so a cached board is never stale.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from accounts.selectors import team_effective
from benchmarks.disclosure import split_disclosed_through
from benchmarks.models import Split, Track
from benchmarks.selectors import higher_is_better, selection_split, track_results_generation
from evaluator.metrics.registry import task_spec
from submissions.artifacts import unit_table_path
from submissions.disclosure import results_filter_disclosed
from submissions.models import FinalPick, Result, SplitRun, Status
from submissions.pipeline import disclosure_limits
from submissions.run_disclosure import Limits, memory_band, time_band
from submissions.selectors import result_filter_shown

from .ranking import shared_ranks_for_entries

# Board entries are keyed by their data's generation, so a new one replaces an old one: the
# lifetime only bounds what old generations keep in the cache.
BOARD_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RunCost:
    """What a run cost, beside what it scored: wall time per sample and peak memory.

    Wall time is the container's, start to end, over the split's samples; peak memory is the
    runner's cgroup high-water mark (``SplitRun.peak_memory_bytes``; peak GPU memory from the
    run's ``runtime_flags``). None where the run did not record it. On a hidden or
    out-of-distribution split a container's timing and memory are channels out of the hidden
    inputs, so the board shows only the same bands the team is shown of that run
    (``submissions.run_disclosure``): ``bands`` holds them and the exact figures are None.
    """

    seconds_per_sample: float | None
    peak_memory_bytes: int | None
    peak_gpu_memory_bytes: int | None
    bands: tuple[str, str] | None = None


def _bytes(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def run_cost(run: SplitRun | None, *, samples: int, banded: Limits | None = None) -> RunCost | None:
    if run is None:
        return None
    seconds = None
    if run.started_at and run.ended_at:
        seconds = max(0.0, (run.ended_at - run.started_at).total_seconds())
    flags = run.runtime_flags if isinstance(run.runtime_flags, dict) else {}
    peak = run.peak_memory_bytes
    if peak is None:
        peak = _bytes(flags.get("peak_memory_bytes"))
    if banded is not None:
        return RunCost(
            seconds_per_sample=None,
            peak_memory_bytes=None,
            peak_gpu_memory_bytes=None,
            bands=(time_band(seconds, banded), memory_band(peak, banded)),
        )
    return RunCost(
        seconds_per_sample=seconds / samples if seconds is not None and samples > 0 else None,
        peak_memory_bytes=peak,
        peak_gpu_memory_bytes=_bytes(flags.get("peak_gpu_memory_bytes")),
    )


def _cost_bands(split: Split, track: Track) -> Limits | None:
    """The limits to band a run's cost against (those its team is shown), or None where the
    split is public."""
    if split.visibility not in (Split.Visibility.HIDDEN, Split.Visibility.OOD):
        return None
    return disclosure_limits(track, split)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    team: str
    is_baseline: bool
    method: str
    submission_id: int
    primary: float | None
    interval: tuple[float, float] | None
    metrics: dict[str, Any]
    scored_at: datetime
    training_data: str = ""
    shares_rank: bool = False
    rank_range: tuple[int, int] = (0, 0)
    verification: str = "unverified"
    result_id: int = 0
    cost: RunCost | None = None
    chosen_by: str = ""


def metric_columns(results: list[Result], track: Track) -> list[str]:
    """The primary metric first, then the task's other metrics that any row reports."""
    reported = {key for result in results for key in result.metrics}
    names = [spec.name for spec in task_spec(track.task).metrics if spec.name in reported]
    return [track.primary_metric, *(name for name in names if name != track.primary_metric)]


def _sort_key(track: Track) -> Callable[[Result], tuple[bool, float, datetime]]:
    sign = -1.0 if higher_is_better(track, track.primary_metric) else 1.0

    def key(result: Result) -> tuple[bool, float, datetime]:
        value = result.primary_value
        # Undefined values sort last; among equals the earlier submission comes first.
        return (value is None, sign * value if value is not None else 0.0, result.created_at)

    return key


def _entry_key(result: Result) -> tuple[int, str]:
    team = result.submission.team
    # A team merged into another ranks as that team (one row for both).
    entry = team.merged_into_id or team.pk
    return (entry, result.submission.method_name if team.is_baseline else "")


def _latest_first(result: Result) -> tuple[bool, float, int]:
    finished = result.submission.finished_at
    return (finished is None, -finished.timestamp() if finished else 0.0, -result.submission.pk)


def _best_per_entry(results: list[Result], track: Track) -> list[Result]:
    """One result per team (baselines: per method), by the track's entry rule, in rank order.
    For a public split, whose labels are public: the rule reads the split's own numbers."""
    chosen: list[Result] = []
    seen: set[tuple[int, str]] = set()
    order = _latest_first if track.entry_rule == Track.EntryRule.LAST else _sort_key(track)
    for result in sorted(results, key=order):
        if _entry_key(result) not in seen:
            seen.add(_entry_key(result))
            chosen.append(result)
    return sorted(chosen, key=_sort_key(track))


def _selection_values(track: Track, results: list[Result]) -> tuple[dict[int, float], str]:
    """Per submission, the number the entry rule reads instead of the hidden split's own: the
    hidden split's public part where it was scored, else the public split's primary metric."""
    parts = {
        r.submission_id: (r.parts or {})
        .get("public", {})
        .get("metrics", {})
        .get(track.primary_metric)
        for r in results
    }
    if any(isinstance(v, int | float) for v in parts.values()):
        return {k: float(v) for k, v in parts.items() if isinstance(v, int | float)}, (
            "public part"
        )
    public = selection_split(track=track)
    if public is None:
        return {}, ""
    values = Result.objects.filter(
        split=public,
        submission_id__in=[r.submission_id for r in results],
        primary_value__isnull=False,
    ).values_list("submission_id", "primary_value")
    return {sid: float(value) for sid, value in values if value is not None}, public.name


def _picked_submissions(track: Track, results: list[Result]) -> dict[int, bool]:
    """Submissions among ``results`` that are final picks: id -> made automatically."""
    picks = FinalPick.objects.filter(
        submission_id__in=[r.submission_id for r in results], phase__benchmark_id=track.benchmark_id
    ).values_list("submission_id", "automatic")
    return dict(picks)


def entries_without_peeking(
    results: list[Result], track: Track
) -> tuple[list[Result], dict[int, str]]:
    """One result per team (baselines: per method) on a hidden split, chosen without its
    labels, in rank order; with the rule that chose each (by result id).

    Candidates are the team's final picks when it has any among ``results``, else all of them.
    Among candidates, ``entry_rule: last`` takes the latest finished; ``best`` takes the best
    on the selection numbers (the public part, else the public split; a candidate without one
    comes last, and without any the latest). The hidden numbers only order the chosen rows.
    """
    picked = _picked_submissions(track, results)
    values, source = _selection_values(track, results)
    sign = -1.0 if higher_is_better(track, track.primary_metric) else 1.0
    groups: dict[tuple[int, str], list[Result]] = {}
    for result in results:
        groups.setdefault(_entry_key(result), []).append(result)
    chosen: list[Result] = []
    rules: dict[int, str] = {}
    for group in groups.values():
        picks = [r for r in group if r.submission_id in picked]
        candidates = picks or group
        prefix = ""
        if picks:
            automatic = all(picked[r.submission_id] for r in picks)
            prefix = "automatic final pick" if automatic else "final pick"
        if track.entry_rule == Track.EntryRule.LAST or not any(
            r.submission_id in values for r in candidates
        ):
            result = min(candidates, key=_latest_first)
            rule = (
                "latest" if track.entry_rule == Track.EntryRule.LAST else "latest (no public score)"
            )
        else:

            def by_selection(r: Result) -> tuple[bool, float, int]:
                value = values.get(r.submission_id)
                return (value is None, sign * value if value is not None else 0.0, r.submission_id)

            result = min(candidates, key=by_selection)
            rule = f"best on {source}"
        if prefix and len(picks) == 1:
            rule = prefix
        elif prefix:
            rule = f"{prefix}, {rule}"
        chosen.append(result)
        rules[result.pk] = rule
    return sorted(chosen, key=_sort_key(track)), rules


def _value_ranks(best: list[Result]) -> list[int]:
    """Competition ranks by value alone (1, 2, 2, 4): the fallback without unit tables."""
    ranks: list[int] = []
    for position, result in enumerate(best, start=1):
        if position == 1 or result.primary_value != best[position - 2].primary_value:
            ranks.append(position)
        else:
            ranks.append(ranks[-1])
    return ranks


def rank_ranges(
    intervals: list[tuple[float, float] | None], *, higher_better: bool
) -> list[tuple[int, int]]:
    """Best rank = 1 + entries wholly better; worst rank = N - entries wholly worse."""
    count = len(intervals)
    ranges = []
    for mine in intervals:
        if mine is None:
            ranges.append((1, count))
            continue
        low, high = mine
        above = below = 0
        for other in intervals:
            if other is None or other is mine:
                continue
            wholly_higher, wholly_lower = other[0] > high, other[1] < low
            better, worse = (
                (wholly_higher, wholly_lower) if higher_better else (wholly_lower, wholly_higher)
            )
            above += better
            below += worse
        ranges.append((1 + above, count - below))
    return ranges


def _board_version(split: Split) -> str:
    # Results are only ever added (never edited), so their newest id and count say when the
    # board's numbers changed even if a writer forgot track_results_changed; the generation covers
    # changes results do not show (a submission disqualified, a team renamed).
    stats = Result.objects.filter(split=split).aggregate(last=Max("pk"), count=Count("pk"))
    generation = track_results_generation(
        benchmark_slug=split.track.benchmark.slug, track_slug=split.track.slug
    )
    cutoff = split_disclosed_through(split=split)
    through = cutoff.isoformat() if cutoff else "none"
    return f"{stats['last']}-{stats['count']}-{through}-{generation}"


def leaderboard_cache_key(*, split: Split, track: Track) -> str:
    """A key that changes whenever the board's content can change (one cheap query)."""
    return (
        f"leaderboard:{split.pk}:{_board_version(split)}:{track.primary_metric}:{track.entry_rule}"
    )


def leaderboard_for_split(
    *, split: Split, track: Track, cache_key: str | None = None
) -> tuple[list[LeaderboardRow], list[str]]:
    key = cache_key or leaderboard_cache_key(split=split, track=track)
    cached = cache.get(key)
    if cached is None:
        cached = _compute_board(split=split, track=track)
        cache.set(key, cached, timeout=BOARD_CACHE_SECONDS)
    return cached


def _compute_board(*, split: Split, track: Track) -> tuple[list[LeaderboardRow], list[str]]:
    # Only results with complete provenance that no reviewer removed are ever shown, and on
    # hidden splits only those disclosed (submissions made before a publication moment).
    shown = result_filter_shown(results=_finished_results().filter(split=split))
    if split.visibility != Split.Visibility.PUBLIC:
        shown = results_filter_disclosed(results=shown, split=split)
    results = list(shown.select_related("submission", "submission__team__merged_into", "review"))
    rules: dict[int, str] = {}
    if split.visibility == Split.Visibility.OOD:
        best = sorted(results, key=_sort_key(track))  # one row per final pick
        rules = {r.pk: "final pick" for r in best}
    elif split.visibility == Split.Visibility.HIDDEN:
        best, rules = entries_without_peeking(results, track)
    else:
        best = _best_per_entry(results, track)
        rule = "latest" if track.entry_rule == Track.EntryRule.LAST else f"best on {split.name}"
        rules = {r.pk: rule for r in best}
    runs = {
        run.submission_id: run
        for run in SplitRun.objects.filter(
            split=split, submission_id__in=[r.submission_id for r in best]
        ).only("submission_id", "started_at", "ended_at", "runtime_flags", "peak_memory_bytes")
    }
    defined = [r for r in best if r.primary_value is not None]
    shared = None
    if len(defined) > 1:
        shared = shared_ranks_for_entries(
            entries=[
                (
                    r.submission_id,
                    unit_table_path(submission_id=r.submission_id, split_name=split.name),
                )
                for r in defined
            ],
            metric=track.primary_metric,
        )
    fallback = _value_ranks(best)
    intervals: list[tuple[float, float] | None] = []
    for result in best:
        interval = (result.metrics.get("ci") or {}).get(track.primary_metric)
        intervals.append((interval[0], interval[1]) if interval and None not in interval else None)
    ranges = rank_ranges(intervals, higher_better=higher_is_better(track, track.primary_metric))
    banded = _cost_bands(split, track)
    rows = []
    for index, result in enumerate(best):
        ranked = shared.get(result.submission_id) if shared else None
        rows.append(
            LeaderboardRow(
                rank=ranked.rank if ranked else fallback[index],
                shares_rank=ranked.shares_with_above if ranked else False,
                rank_range=ranges[index],
                team=team_effective(result.submission.team).name,
                is_baseline=result.submission.team.is_baseline,
                method=result.submission.method_name,
                training_data=result.submission.training_data,
                submission_id=result.submission.pk,
                primary=result.primary_value,
                interval=intervals[index],
                metrics=result.metrics,
                scored_at=result.created_at,
                verification=_verification(result),
                result_id=result.pk,
                cost=run_cost(
                    runs.get(result.submission_id), samples=split.sample_count, banded=banded
                ),
                chosen_by=rules.get(result.pk, ""),
            )
        )
    return rows, metric_columns(best, track)


def public_part_board(*, split: Split, track: Track) -> list[LeaderboardRow]:
    """The hidden split's public part (protocol §5, ``public_fraction``): shown at once, one
    row per team (baselines: per method) by the entry rule on the public part's own numbers.
    Ranks by value (the per-unit tables are the whole split's); empty without public parts.
    One query, no bootstrap: computed per request rather than cached."""
    if split.visibility != Split.Visibility.HIDDEN:
        return []
    shown = result_filter_shown(results=_finished_results().filter(split=split))
    results = [
        r
        for r in shown.select_related("submission", "submission__team__merged_into", "review")
        if isinstance(
            ((r.parts or {}).get("public") or {}).get("metrics", {}).get(track.primary_metric),
            int | float,
        )
    ]
    for result in results:
        # Rank on the part: the rows carry the part's numbers, never the whole split's.
        part = result.parts["public"]
        result.metrics = dict(part["metrics"], ci=part.get("ci") or {})
        result.primary_value = part["metrics"][track.primary_metric]
    best = _best_per_entry(results, track)
    ranks = _value_ranks(best)
    rule = "latest" if track.entry_rule == Track.EntryRule.LAST else "best on public part"
    rows = []
    for index, result in enumerate(best):
        interval = (result.metrics.get("ci") or {}).get(track.primary_metric)
        rows.append(
            LeaderboardRow(
                rank=ranks[index],
                team=team_effective(result.submission.team).name,
                is_baseline=result.submission.team.is_baseline,
                method=result.submission.method_name,
                training_data=result.submission.training_data,
                submission_id=result.submission.pk,
                primary=result.primary_value,
                interval=(interval[0], interval[1]) if interval and None not in interval else None,
                metrics={k: v for k, v in result.metrics.items() if k != "ci"},
                scored_at=result.created_at,
                verification=_verification(result),
                result_id=result.pk,
                chosen_by=rule,
            )
        )
    return rows


def _finished_results() -> QuerySet[Result]:
    """Results of finished submissions that no organizer disqualified: all a board may show."""
    return Result.objects.filter(
        submission__status=Status.FINISHED, submission__disqualified_at__isnull=True
    )


def _verification(result: Result) -> str:
    review = getattr(result, "review", None)
    return review.status if review is not None else "unverified"


def leaderboard_sorted(
    rows: list[LeaderboardRow], *, track: Track, sort: str | None, descending: bool | None
) -> list[LeaderboardRow]:
    """Rows re-ordered by any metric column (undefined values last); ranks stay as computed."""
    if not sort or sort == "rank":
        return rows
    if descending is None:
        descending = higher_is_better(track, sort)

    def key(row: LeaderboardRow) -> tuple[bool, float]:
        value = row.metrics.get(sort)
        if not isinstance(value, int | float):
            return (True, 0.0)
        return (False, -value if descending else value)

    return sorted(rows, key=key)


@dataclass(frozen=True)
class GeneralizationColumn:
    benchmark: str
    benchmark_slug: str
    split: Split
    metric: str


@dataclass
class GeneralizationRow:
    team: str
    method: str
    is_baseline: bool
    cells: list[float | None]


def generalization_matrix() -> tuple[
    list[GeneralizationColumn], dict[str, list[GeneralizationRow]]
]:
    """The seed's cross-dataset table: methods grouped by declared training data x benchmarks.

    Each benchmark contributes the split whose numbers may be shown: its first track's hidden
    split once published, else that track's public split.
    """
    columns: list[GeneralizationColumn] = []
    tracks = Track.objects.select_related("benchmark").prefetch_related("splits")
    seen_benchmarks: set[int] = set()
    for track in tracks.order_by("benchmark__name", "pk"):
        if track.benchmark_id in seen_benchmarks:
            continue
        # The OOD tier holds final picks only; the matrix compares every method.
        visible = [
            s
            for s in track.splits.all()
            if s.results_visible and s.visibility != Split.Visibility.OOD and not s.is_debug
        ]
        if not visible:
            continue
        visible.sort(key=lambda s: s.visibility != Split.Visibility.HIDDEN)
        seen_benchmarks.add(track.benchmark_id)
        columns.append(
            GeneralizationColumn(
                track.benchmark.name, track.benchmark.slug, visible[0], track.primary_metric
            )
        )
    index = {column.split.pk: position for position, column in enumerate(columns)}
    # A hidden column holds what stands for each team on its board (chosen without peeking);
    # a public column every method's best.
    allowed = Q(split__visibility=Split.Visibility.PUBLIC)
    for column in columns:
        if column.split.visibility != Split.Visibility.PUBLIC:
            rows, _ = leaderboard_for_split(split=column.split, track=column.split.track)
            allowed |= Q(pk__in=[row.result_id for row in rows])
    results = (
        result_filter_shown(results=_finished_results().filter(split_id__in=list(index)))
        .filter(allowed)
        .select_related("submission", "submission__team", "split__track")
    )
    groups: dict[str, dict[tuple[str, str], GeneralizationRow]] = {}
    for result in results:
        submission = result.submission
        row = groups.setdefault(submission.training_data, {}).setdefault(
            (submission.team.name, submission.method_name),
            GeneralizationRow(
                submission.team.name,
                submission.method_name,
                submission.team.is_baseline,
                [None] * len(columns),
            ),
        )
        position = index[result.split_id]
        value = result.metrics.get(columns[position].metric)
        if not isinstance(value, int | float):
            continue
        current = row.cells[position]
        better = higher_is_better(result.split.track, columns[position].metric)
        if current is None or (value > current if better else value < current):
            row.cells[position] = float(value)
    ordered = {
        training: sorted(rows.values(), key=lambda r: (r.team, r.method))
        for training, rows in sorted(groups.items())
    }
    return columns, ordered
