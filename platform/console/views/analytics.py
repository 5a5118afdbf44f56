"""A benchmark's analytics page (plots as server-rendered SVG, each with its data table) and
the CSV export of each plot's frame. Organizers only (``console.access``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from benchmarks.models import Benchmark, Track
from leaderboards.exports import frame_csv

from ..access import organizer_required
from ..analytics import PLOTS, histogram, plot_frame
from ..svgplot import Series, chart


@dataclass
class Plot:
    slug: str  # the CSV export's name
    title: str
    svg: SafeString | None  # None: no data yet
    headers: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)
    note: str = ""


def _svg(**kwargs: object) -> SafeString:
    return mark_safe(chart(**kwargs))  # type: ignore[arg-type]  # escaped by svgplot


def _activity(benchmark: Benchmark) -> Plot:
    frame = plot_frame(benchmark=benchmark, plot="activity")
    title = _("Submissions per day and active teams")
    if frame.empty:
        return Plot("activity", title, None)
    days = frame["day"].tolist()
    svg = _svg(
        chart_id="chart-activity",
        title=title,
        desc=_(
            "%(n)d submissions by day from %(first)s to %(last)s; "
            "at most %(teams)d teams on one day."
        )
        % {
            "n": int(frame["submissions"].sum()),
            "first": days[0],
            "last": days[-1],
            "teams": int(frame["active_teams"].max()),
        },
        x_label=_("Day (UTC)"),
        y_label=_("Count"),
        categories=days,
        series=[
            Series(_("Submissions"), frame["submissions"].tolist()),
            Series(_("Active teams"), frame["active_teams"].tolist()),
        ],
    )
    rows = frame[["day", "submissions", "active_teams"]].values.tolist()
    return Plot("activity", title, svg, [_("Day"), _("Submissions"), _("Active teams")], rows)


def _failures(benchmark: Benchmark) -> Plot:
    frame = plot_frame(benchmark=benchmark, plot="failures")
    title = _("Failure codes over time")
    if frame.empty:
        return Plot("failures", title, None)
    table = frame.pivot_table(
        index="day", columns="failure_code", values="failures", aggfunc="sum", fill_value=0
    )
    days = pd.date_range(table.index.min(), table.index.max(), freq="D").strftime("%Y-%m-%d")
    table = table.reindex(days, fill_value=0)
    codes = [str(c) for c in table.columns]
    svg = _svg(
        chart_id="chart-failures",
        title=title,
        desc=_("Failed submissions per day by failure code: %(totals)s.")
        % {"totals": ", ".join(f"{c} {int(table[c].sum())}" for c in codes)},
        x_label=_("Day (UTC)"),
        y_label=_("Failed submissions"),
        categories=list(days),
        series=[Series(code, [int(v) for v in table[code]]) for code in codes],
        kind="line",
    )
    rows = [
        [day, *(int(v) for v in values)] for day, values in zip(days, table.values, strict=True)
    ]
    return Plot("failures", title, svg, [_("Day"), *codes], rows)


def _distribution(benchmark: Benchmark, plot: str) -> Plot:
    frame = plot_frame(benchmark=benchmark, plot=plot)
    column = "wait_seconds" if plot == "waits" else "run_seconds"
    if plot == "waits":
        title, what = _("Queue wait distribution"), _("Queue wait (queued to running)")
    else:
        title, what = _("Run-time distribution"), _("Run time (running to scoring)")
    if frame.empty:
        return Plot(plot, title, None)
    labels, counts = histogram(frame[column])
    values = frame[column]
    note = _(
        "%(n)d submissions; median %(median).1f s, "
        "90th percentile %(p90).1f s, longest %(max).1f s."
    ) % {
        "n": len(values),
        "median": values.median(),
        "p90": values.quantile(0.9),
        "max": values.max(),
    }
    svg = _svg(
        chart_id=f"chart-{plot}",
        title=title,
        desc=f"{what}: {note}",
        x_label=_("%(what)s, seconds") % {"what": what},
        y_label=_("Submissions"),
        categories=labels,
        series=[Series(_("Submissions"), counts)],
    )
    rows = [[label, count] for label, count in zip(labels, counts, strict=True)]
    return Plot(plot, title, svg, [_("Seconds"), _("Submissions")], rows, note)


def _best_scores(benchmark: Benchmark) -> list[Plot]:
    frame = plot_frame(benchmark=benchmark, plot="best-scores")
    plots = []
    for track in Track.objects.filter(benchmark=benchmark).order_by("name"):
        part = frame[frame["track"] == track.slug]
        title = _("Best %(metric)s over time: %(track)s") % {
            "metric": track.primary_metric,
            "track": track.name,
        }
        if part.empty:
            plots.append(Plot("best-scores", title, None))
            continue
        table = part.pivot_table(index="day", columns="split", values="best", aggfunc="last")
        days = pd.date_range(table.index.min(), table.index.max(), freq="D").strftime("%Y-%m-%d")
        table = table.reindex(days).ffill()
        splits = [str(s) for s in table.columns]

        def cells(values: list[float]) -> list[float | None]:
            return [None if pd.isna(v) else float(v) for v in values]

        svg = _svg(
            chart_id=f"chart-best-{track.slug}",
            title=title,
            desc=_("Best %(metric)s reached by the end of each day, per split: %(final)s.")
            % {
                "metric": track.primary_metric,
                "final": ", ".join(f"{s} {table[s].iloc[-1]:.4g}" for s in splits),
            },
            x_label=_("Day (UTC)"),
            y_label=track.primary_metric,
            categories=list(days),
            series=[Series(s, cells(table[s].tolist())) for s in splits],
            kind="line",
            y_from_zero=False,
            counts=False,
        )
        rows = [
            [day, *("" if pd.isna(v) else f"{v:.4f}" for v in values)]
            for day, values in zip(days, table.values, strict=True)
        ]
        plots.append(Plot("best-scores", title, svg, [_("Day"), *splits], rows))
    return plots


@organizer_required
def console_analytics(request: HttpRequest, slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=slug)
    plots = [
        _activity(benchmark),
        _failures(benchmark),
        _distribution(benchmark, "waits"),
        _distribution(benchmark, "runtimes"),
        *_best_scores(benchmark),
    ]
    return render(request, "console/analytics.html", {"benchmark": benchmark, "plots": plots})


@organizer_required
def console_analytics_csv(request: HttpRequest, slug: str, plot: str) -> HttpResponse:
    if plot not in PLOTS:
        raise Http404("no such plot")
    benchmark = get_object_or_404(Benchmark, slug=slug)
    frame = plot_frame(benchmark=benchmark, plot=plot)
    response = HttpResponse(frame_csv(frame), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{benchmark.slug}-{plot}.csv"'
    return response
