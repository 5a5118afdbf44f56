from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, pgettext

register = template.Library()


@register.filter
def metric(metrics: dict[str, Any], name: str) -> str:
    """A metric value for a table cell: 4 decimals, a dash when undefined for this split."""
    value = metrics.get(name)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


@register.simple_tag
def ci_whisker(value: float | None, interval: tuple[float, float] | None) -> str:
    """A small server-side SVG: the 95% interval as a whisker, the value as a dot (scale 0 to 1).

    It draws what the cell's text already says (the value, and the interval under the column's
    "(95% CI)"), so it is hidden from screen readers, which would read each number twice; the
    stylesheet draws it (svg.whisker), in about half the bytes of styled elements per row."""
    if value is None:
        return ""
    width, pad = 120, 4

    def x(v: float) -> str:
        return f"{pad + max(0.0, min(1.0, v)) * (width - 2 * pad):.1f}"

    whisker = ""
    if interval is not None:
        low, high = interval
        whisker = format_html(
            '<path class="ci" d="M{0} 7H{1}"/><path class="ci-end" d="M{0} 3V11M{1} 3V11"/>',
            x(low),
            x(high),
        )
    return format_html(
        '<svg class="whisker" width="{}" height="14" aria-hidden="true">'
        '<path d="M{} 7H{}"/>{}<circle cx="{}" cy="7" r="3.5"/></svg>',
        width,
        pad,
        width - pad,
        whisker,
        x(value),
    )


@register.simple_tag
def curve_svg(xs: list[float], ys: list[float], title: str, x_label: str, y_label: str) -> str:
    """A unit-square curve as inline SVG (no scripts, no CDN), at most ~400 points drawn."""
    size, pad = 220, 28
    step = max(1, len(xs) // 400)
    points = list(zip(xs[::step], ys[::step], strict=True))
    if points and points[-1] != (xs[-1], ys[-1]):
        points.append((xs[-1], ys[-1]))
    span = size - 2 * pad
    path = " ".join(f"{pad + x * span:.1f},{size - pad - y * span:.1f}" for x, y in points)
    return format_html(
        '<figure class="curve"><svg width="{s}" height="{s}" role="img" aria-label="{t}">'
        '<rect x="{p}" y="{p}" width="{w}" height="{w}" fill="none" stroke="#c9ced6"/>'
        '<polyline points="{path}" fill="none" stroke="#1c2330" stroke-width="1.5"/>'
        '<text x="{mid}" y="{bottom}" text-anchor="middle" font-size="11">{xl}</text>'
        '<text x="10" y="{mid}" text-anchor="middle" font-size="11" '
        'transform="rotate(-90 10 {mid})">{yl}</text></svg><figcaption>{t}</figcaption></figure>',
        s=size,
        t=title,
        p=pad,
        w=span,
        path=path,
        mid=size // 2,
        bottom=size - 6,
        xl=x_label,
        yl=y_label,
    )


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


LINE_COLOURS = ("#1c2330", "#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#5d6d7e")


# What the x axis of each perturbation's plot measures (mildest level first, left).
LEVEL_AXIS = {
    "jpeg": gettext_lazy("JPEG quality"),
    "noise": gettext_lazy("Gaussian noise sigma (of 255)"),
    "blur": gettext_lazy("Gaussian blur sigma (pixels)"),
    "resize": gettext_lazy("down-up resize factor"),
    "h264": gettext_lazy("H.264 CRF"),
}


@register.simple_tag
def robustness_plot(
    rows: list[Any], perturbation: str, metric: str = "", chance: float | None = None
) -> str:
    """One line per method: the metric at each level of one perturbation, as inline SVG.

    Labelled axes (level on x, the metric on y with ticks), a dashed line at chance, and every
    point carries its value in a ``<title>`` (shown on hover, read by screen readers).
    """
    series = []
    for row in rows:
        points = [lv.value for lv in row.levels if lv.perturbation == perturbation]
        labels = [f"{lv.level:g}" for lv in row.levels if lv.perturbation == perturbation]
        name = f"{row.team} · {row.method}"
        if row.rank is None:
            name = gettext("%(name)s (at chance)") % {"name": name}
        series.append((name, [row.clean, *points], ["clean", *labels]))
    if not series or len(series[0][1]) < 2:
        return ""
    width, height = 420, 240
    left, right, top, bottom = 52, 12, 12, 46
    count = len(series[0][1])
    axis = LEVEL_AXIS.get(perturbation, perturbation)

    def x(i: int) -> float:
        return left + i * (width - left - right) / (count - 1)

    def y(v: float) -> float:
        return height - bottom - max(0.0, min(1.0, v)) * (height - top - bottom)

    parts = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            format_html(
                '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#eef0f3"/>'
                '<text x="{3}" y="{4}" text-anchor="end" font-size="10">{5}</text>',
                left,
                f"{y(tick):.1f}",
                width - right,
                left - 4,
                f"{y(tick) + 3:.1f}",
                f"{tick:g}",
            )
        )
    if chance is not None:
        parts.append(
            format_html(
                '<line class="chance" x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#8a94a6" '
                'stroke-dasharray="4 3"><title>{3}</title></line>',
                left,
                f"{y(chance):.1f}",
                width - right,
                gettext("chance: %(value)s") % {"value": f"{chance:.4g}"},
            )
        )
    for index, (name, values, labels) in enumerate(series):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5">'
                "<title>{}</title></polyline>",
                coords,
                colour,
                name,
            )
        )
        for i, (value, label) in enumerate(zip(values, labels, strict=True)):
            if value is None:
                continue
            where = pgettext("robustness", "clean") if label == "clean" else f"{axis} {label}"
            parts.append(
                format_html(
                    '<circle class="point" cx="{}" cy="{}" r="3.5" fill="{}">'
                    "<title>{}: {} = {} at {}</title></circle>",
                    f"{x(i):.1f}",
                    f"{y(value):.1f}",
                    colour,
                    name,
                    metric or "value",
                    f"{value:.4f}",
                    where,
                )
            )
    for i, label in enumerate(series[0][2]):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>',
                f"{x(i):.1f}",
                height - bottom + 14,
                pgettext("robustness", "clean") if label == "clean" else label,
            )
        )
    parts.append(
        format_html(
            '<text class="x-label" x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>'
            '<text class="y-label" x="12" y="{}" text-anchor="middle" font-size="11" '
            'transform="rotate(-90 12 {})">{}</text>',
            (left + width - right) / 2,
            height - 8,
            gettext("%(axis)s (mildest left)") % {"axis": axis},
            (top + height - bottom) / 2,
            (top + height - bottom) / 2,
            metric or gettext("primary metric"),
        )
    )
    title = gettext("%(metric)s by %(axis)s") % {
        "metric": metric or gettext("primary metric"),
        "axis": axis,
    }
    legend = [
        format_html(
            '<li><span class="swatch" style="background:{}"></span>{}</li>',
            LINE_COLOURS[i % len(LINE_COLOURS)],
            name,
        )
        for i, (name, _, _) in enumerate(series)
    ]
    return format_html(
        '<figure class="robustness" id="plot-{}"><svg width="{}" height="{}" role="img" '
        'aria-label="{}"><rect x="{}" y="{}" width="{}" height="{}" fill="none" '
        'stroke="#c9ced6"/>{}</svg><figcaption>{} <ul class="legend">{}</ul></figcaption></figure>',
        perturbation,
        width,
        height,
        title,
        left,
        top,
        width - left - right,
        height - top - bottom,
        mark_safe("".join(parts)),  # each piece came from format_html
        gettext("%(title)s; hover a point for its value") % {"title": title},
        mark_safe("".join(legend)),
    )


@register.simple_tag
def skill_cell(skill: Any) -> str:
    """Skill retained with its interval: '0.812 [0.701, 0.905]', or a dash."""
    if skill is None or skill.value is None:
        return "—"
    if skill.interval is None:
        return f"{skill.value:.3f}"
    low, high = skill.interval
    return f"{skill.value:.3f} [{low:.3f}, {high:.3f}]"


def _size(count: int) -> str:
    mib = count / 2**20
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


@register.simple_tag
def run_cost(cost: Any) -> str:
    """'0.042 s · 812 MiB (GPU 3.1 GiB)': a run's cost beside its score; a dash when unknown.
    On hidden splits only the bands of the whole run: 'run under 4.7 s · under 16 MiB'."""
    if cost is not None and cost.bands is not None:
        wall, memory = cost.bands
        return f"run {wall} · {memory}"
    if cost is None or cost.seconds_per_sample is None:
        return "—"
    parts = [f"{cost.seconds_per_sample:.3g} s"]
    if cost.peak_memory_bytes is not None:
        parts.append(_size(cost.peak_memory_bytes))
    text = " · ".join(parts)
    if cost.peak_gpu_memory_bytes is not None:
        text += f" (GPU {_size(cost.peak_gpu_memory_bytes)})"
    return text
