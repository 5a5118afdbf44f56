"""Small accessible SVG charts written on the server: bars or lines over categories.

One job: turn a few labelled series into an ``<svg>`` string. Every chart is an image with a
``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``), labelled axes, a legend
when it has several series, and text escaped. No JavaScript; the page shows the same numbers
as a table beside it. Values may be ``None`` (no data there: a gap in a line, no bar).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64
MAX_X_LABELS = 10
# Colour-blind-safe (Okabe-Ito); lines also differ by dash pattern.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def y_ticks(low: float, high: float, *, integer: bool = False) -> list[float]:
    """Round tick values covering [low, high] (at least two); whole numbers for counts."""
    if high <= low:
        high = low + 1
    step = _nice_step(high - low)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    kind: str = "bar",
    y_from_zero: bool = True,
    counts: bool = True,
) -> str:
    """A bar chart (series side by side per category) or a line chart over ``categories``;
    ``counts``: the values are whole numbers (ticks too)."""
    if kind not in ("bar", "line"):
        raise ValueError(f"unknown chart kind {kind!r}")
    values = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    low = min([0.0, *values]) if y_from_zero or not values else min(values)
    high = max(values) if values else 1.0
    ticks = y_ticks(low, high, integer=counts)
    y_low, y_high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(categories), 1)
    slot = plot_w / n

    def x_mid(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y_at(v: float) -> float:
        return TOP + plot_h * (1 - (v - y_low) / (y_high - y_low))

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(chart_id)} class="chart" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
        '<g class="axes" stroke="#444" aria-hidden="true">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
        "</g>",
        '<g class="y-ticks" aria-hidden="true">',
    ]
    for tick in ticks:
        y = y_at(tick)
        out.append(
            f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    out.append("</g>")
    every = max(1, math.ceil(len(categories) / MAX_X_LABELS))
    out.append('<g class="x-ticks" aria-hidden="true">')
    for i, label in enumerate(categories):
        if i % every == 0:
            out.append(
                f'<text x="{x_mid(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    out.append("</g>")
    out.append(
        f'<text class="x-label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 28}" '
        f'text-anchor="middle" font-weight="bold">{escape(x_label)}</text>'
        f'<text class="y-label" transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-weight="bold">{escape(y_label)}</text>'
    )
    base = y_at(max(y_low, min(0.0, y_high)))
    for s_index, s in enumerate(series):
        colour = PALETTE[s_index % len(PALETTE)]
        out.append(f'<g class="series" data-series={quoteattr(s.name)}>')
        if kind == "bar":
            width = slot * 0.8 / max(len(series), 1)
            for i, v in enumerate(s.values):
                if v is None or not math.isfinite(v):
                    continue
                x = LEFT + slot * i + slot * 0.1 + width * s_index
                top = y_at(v)
                y, h = min(top, base), abs(base - top)
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.5):.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(s.name)}, '
                    f"{escape(categories[i])}: {_fmt(v)}</title></rect>"
                )
        else:
            dash = DASHES[s_index % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            runs: list[list[str]] = [[]]
            for i, v in enumerate(s.values):
                if v is None or not math.isfinite(v):
                    runs.append([])
                    continue
                runs[-1].append(f"{x_mid(i):.1f},{y_at(v):.1f}")
                out.append(
                    f'<circle cx="{x_mid(i):.1f}" cy="{y_at(v):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{escape(s.name)}, {escape(categories[i])}: {_fmt(v)}</title></circle>"
                )
            for run in runs:
                if len(run) > 1:
                    out.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash_attr} '
                        f'points="{" ".join(run)}"/>'
                    )
        out.append("</g>")
    if len(series) > 1:
        out.append('<g class="legend">')
        x = LEFT
        for s_index, s in enumerate(series):
            colour = PALETTE[s_index % len(PALETTE)]
            out.append(
                f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{HEIGHT - 5}">{escape(s.name)}</text>'
            )
            x += 24 + 7 * len(s.name)
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
