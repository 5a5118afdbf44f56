import hashlib
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

import evaluator
from audit.selectors import audit_anchor_current
from benchmarks.disclosure import policy_summary, split_disclosed_through
from benchmarks.models import Benchmark, Split, Track
from benchmarks.selectors import (
    benchmark_list,
    split_list_for_track,
    track_get,
    track_results_generation,
)
from benchmarks.terms import terms_current
from evaluator.metrics.registry import METRIC_NAMES, task_spec
from lib.csrf import csrf_token
from notifications.selectors import notification_unread_version
from submissions.selectors import phase_is_open

from .. import pagecache
from ..exports import frame_anchored, frame_csv, leaderboard_frame, response_anchored
from ..robustness import robustness_results
from ..selectors import (
    BOARD_CACHE_SECONDS,
    generalization_matrix,
    leaderboard_cache_key,
    leaderboard_for_split,
    leaderboard_sorted,
    public_part_board,
)

SORT_KEYS = METRIC_NAMES | {"rank"}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboards/home.html", {"benchmarks": benchmark_list()})


def benchmark_detail(request: HttpRequest, benchmark_slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=benchmark_slug)
    tracks = list(benchmark.tracks.prefetch_related("splits"))
    for track in tracks:
        track.ood_splits = [  # type: ignore[attr-defined]
            s for s in track.splits.all() if s.visibility == Split.Visibility.OOD
        ]
    now = timezone.now()
    phases = list(benchmark.phases.order_by("starts_at"))
    for phase in phases:
        phase.is_open = phase_is_open(phase=phase, now=now)  # type: ignore[attr-defined]
    return render(
        request,
        "leaderboards/benchmark.html",
        {
            "benchmark": benchmark,
            "tracks": tracks,
            "phases": phases,
            "terms": terms_current(benchmark=benchmark),
            "protocol": evaluator.PROTOCOL_VERSION,
        },
    )


def _track_or_404(benchmark_slug: str, track_slug: str) -> Track:
    try:
        return track_get(benchmark_slug=benchmark_slug, track_slug=track_slug)
    except Track.DoesNotExist:
        raise Http404("no such track") from None


class BoardQuery(NamedTuple):
    """What of a board's query string reaches a cache key: known values only, so any other
    query makes no entry of its own."""

    sort: str | None
    order: str | None
    extra: bool  # deployment metrics (optional columns): ?columns=all


def board_query(request: HttpRequest) -> BoardQuery:
    if not request.META.get("QUERY_STRING"):
        return BoardQuery(None, None, False)
    sort, order = request.GET.get("sort"), request.GET.get("order")
    return BoardQuery(
        sort if sort in SORT_KEYS else None,
        order if order in ("asc", "desc") else None,
        request.GET.get("columns") == "all",
    )


def board_version(
    benchmark_slug: str, track_slug: str, query: BoardQuery, language: str
) -> str | None:
    """The key of everything a board page shows that is the same for every reader: the
    language, the script prefix its links start with, the track, the query and the track's
    results generation (bumped by each change). None when there is no such track."""
    generation = track_results_generation(benchmark_slug=benchmark_slug, track_slug=track_slug)
    if generation is None:
        return None
    sort, order, extra = query
    where = f"{get_script_prefix()}:{benchmark_slug}:{track_slug}"
    return f"{language}:{where}:{sort}:{order}:{int(extra)}:{generation}"


def board_page_key(version: str) -> str:
    """The anonymous reader's whole page (leaderboards.middleware stores and serves it)."""
    return f"leaderboard-page:{version}"


def track_leaderboard(request: HttpRequest, benchmark_slug: str, track_slug: str) -> HttpResponse:
    """The track's boards: cached content in each reader's frame (leaderboards.pagecache)."""
    query = board_query(request)
    sort, order, extra = query
    version = board_version(benchmark_slug, track_slug, query, get_language())
    if version is None:
        raise Http404("no such track")
    page_key = board_page_key(version)
    signed_in = request.user.is_authenticated
    plain = not len(messages.get_messages(request))  # else the messages are shown (and used)
    if not signed_in and plain and (page := pagecache.page_get(page_key)) is not None:
        return HttpResponse(page[1])  # an anonymous reader holding a session: the shared body
    content_key = f"leaderboard-content:{version}"
    parts = pagecache.shared_get(content_key)
    if parts is None:
        parts = _track_leaderboard_content(benchmark_slug, track_slug, sort, order, extra)
        pagecache.shared_set(content_key, parts)
    assert isinstance(parts, tuple)
    title, content = parts

    def context() -> dict[str, Any]:
        return {
            "title": title,
            "protocol": evaluator.PROTOCOL_VERSION,
            # The page is shared: the language switch returns to its canonical address, never
            # to the query string of whoever made the cached copy.
            "language_next": _canonical_address(benchmark_slug, track_slug, sort, order, extra),
        }

    if signed_in and plain:
        # The reader's frame, rendered once per change of what it shows, around the content.
        unread = notification_unread_version(user=request.user)  # the frame shows the count
        key = pagecache.frame_key(version=version, request=request, unread=unread)
        frame = pagecache.frame_get(key)
        if frame is None:
            frame = pagecache.frame_split(
                render_to_string(
                    "leaderboards/track.html",
                    {
                        **context(),
                        "content": pagecache.CONTENT_MARK,
                        "csrf_token": pagecache.CSRF_MARK,
                    },
                    request=request,
                )
            )
            pagecache.frame_set(key, frame)
        return pagecache.frame_response(frame, content=content, csrf_token=csrf_token(request))
    shown = mark_safe(content.decode())  # our own template's output, escaped there
    response = render(request, "leaderboards/track.html", {**context(), "content": shown})
    response.content = pagecache.compact(response.content.decode()).encode()
    if not signed_in and plain and pagecache.cookieless(request):
        # The same for every reader with no cookie: the middleware keeps it with its headers.
        response.shared_page_key = page_key  # type: ignore[attr-defined]
    return response


def _canonical_address(
    benchmark_slug: str, track_slug: str, sort: str | None, order: str | None, extra: bool
) -> str:
    path = reverse("track-leaderboard", args=[benchmark_slug, track_slug])
    query = urlencode(
        [(k, v) for k, v in (("sort", sort), ("order", order), ("columns", extra and "all")) if v]
    )
    return f"{path}?{query}" if query else path


def _track_leaderboard_content(
    benchmark_slug: str,
    track_slug: str,
    sort: str | None,
    order: str | None,
    extra: bool = False,
) -> tuple[str, bytes]:
    """The page's title and content (UTF-8), for any reader in the active language."""
    track = _track_or_404(benchmark_slug, track_slug)
    boards = []
    for split in sorted(split_list_for_track(track=track), key=_tier_order):
        table_html = ""
        through = split_disclosed_through(split=split)
        if through is not None:
            table_html = _board_html(split=split, track=track, sort=sort, order=order, extra=extra)
        shown = through if split.visibility == Split.Visibility.HIDDEN else None
        boards.append(
            {
                "split": split,
                "table_html": table_html,
                "through": shown,
                "public_part": public_part_board(split=split, track=track),
            }
        )
    phases = [
        {"phase": phase, "summary": policy_summary(phase=phase)}
        for phase in track.benchmark.phases.order_by("starts_at")
    ]
    content = render_to_string(
        "leaderboards/_track_content.html",
        {
            "track": track,
            "benchmark": track.benchmark,
            "boards": boards,
            "protocol": evaluator.PROTOCOL_VERSION,
            "sort": sort,
            "order": order,
            "extra": extra,
            "has_optional": bool(task_spec(track.task).optional_metrics()),
            "robustness": robustness_view(track=track),
            "phases": phases,
        },
    )
    # Kept encoded: the response's bytes as they are (no decoding when read back, no encoding).
    return f"{track.name} · {track.benchmark.name}", pagecache.compact(content).encode()


def _tier_order(split: Split) -> int:
    """Tabs in the order of the three tiers: public, hidden, out-of-distribution."""
    order = {Split.Visibility.PUBLIC: 0, Split.Visibility.HIDDEN: 1, Split.Visibility.OOD: 2}
    return order.get(split.visibility, 3)  # type: ignore[call-overload]


def robustness_view(*, track: Track) -> dict[str, object] | None:
    """Skill retained above chance and per-level results, for tracks whose splits are perturbed.

    Computed once per content change of any of the track's boards (the intervals bootstrap
    every copy), then served from the cache.
    """
    splits = split_list_for_track(track=track)
    if not any(s.perturbation for s in splits):
        return None
    versions = ":".join(leaderboard_cache_key(split=s, track=track) for s in splits)
    digest = hashlib.sha256(versions.encode()).hexdigest()[:32]
    key = f"robustness:{track.pk}:{track.primary_metric}:{digest}"
    view = cache.get(key)
    if view is None:
        rows = robustness_results(track=track)
        kinds = sorted({level.perturbation for row in rows for level in row.levels})
        view = {
            "rows": rows,
            "ranked": [r for r in rows if r.rank is not None],
            "unranked": [r for r in rows if r.rank is None],
            "kinds": kinds,
            "levels": rows[0].levels if rows else [],
            "chance": rows[0].skill.chance if rows else None,
        }
        cache.set(key, view, timeout=BOARD_CACHE_SECONDS)
    if not view["rows"] or not view["kinds"]:
        return None
    return view


def _board_html(
    *, split: Split, track: Track, sort: str | None, order: str | None, extra: bool = False
) -> str:
    """One split's table, rendered once per content change and sort order (rendering 100 rows
    costs far more than serving them)."""
    board_key = leaderboard_cache_key(split=split, track=track)
    # The rendered table is in the reader's language and its links start with the script
    # prefix: one copy per language and prefix.
    html_key = (
        f"{board_key}:html:{get_language()}:{get_script_prefix()}:{sort}:{order}:{int(extra)}"
    )
    html = cache.get(html_key)
    if html is None:
        rows, columns = leaderboard_for_split(split=split, track=track, cache_key=board_key)
        if sort in columns:
            descending = {"asc": False, "desc": True}.get(order or "")
            rows = leaderboard_sorted(rows, track=track, sort=sort, descending=descending)
        optional = set(task_spec(track.task).optional_metrics())
        if not extra:
            columns = [c for c in columns if c not in optional]
        html = render_to_string(
            "leaderboards/_board.html",
            {
                "track": track,
                "benchmark": track.benchmark,
                "split": split,
                "rows": rows,
                "columns": columns,
                "sort": sort,
                "order": order,
                "optional": optional,
                "extra": extra,
            },
        )
        cache.set(html_key, html, timeout=BOARD_CACHE_SECONDS)
    return mark_safe(html)  # our own template's output, escaped when it was rendered


def leaderboard_export(
    request: HttpRequest, benchmark_slug: str, track_slug: str, split_name: str, fmt: str
) -> HttpResponse:
    track = _track_or_404(benchmark_slug, track_slug)
    split = next((s for s in track.splits.all() if s.name == split_name), None)
    if split is None or not split.results_visible or fmt not in ("csv", "json"):
        raise Http404("no such leaderboard export")
    rows, columns = leaderboard_for_split(split=split, track=track)
    anchor = audit_anchor_current()
    frame = frame_anchored(leaderboard_frame(rows, columns), anchor)
    filename = f"{benchmark_slug}-{track_slug}-{split_name}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(frame_csv(frame), content_type="text/csv")
    else:
        response = HttpResponse(
            frame.to_json(orient="records", indent=1), content_type="application/json"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response_anchored(response, anchor)


def generalization(request: HttpRequest) -> HttpResponse:
    columns, groups = generalization_matrix()
    return render(
        request,
        "leaderboards/generalization.html",
        {"columns": columns, "groups": groups, "protocol": evaluator.PROTOCOL_VERSION},
    )
