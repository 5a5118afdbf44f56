from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
    """A small server-side SVG: the 95% interval as a whisker, the value as a dot (scale 0 to 1)."""
    if value is None:
        return ""
    width, pad = 120, 4

    def x(v: float) -> str:
        return f"{pad + max(0.0, min(1.0, v)) * (width - 2 * pad):.1f}"

    whisker = ""
    label = f"{value:.4f}"
    if interval is not None:
        low, high = interval
        label += f", 95% interval {low:.4f} to {high:.4f}"
        whisker = format_html(
            '<line x1="{0}" y1="7" x2="{1}" y2="7" stroke="#5a6b85" stroke-width="2"/>'
            '<line x1="{0}" y1="3" x2="{0}" y2="11" stroke="#5a6b85"/>'
            '<line x1="{1}" y1="3" x2="{1}" y2="11" stroke="#5a6b85"/>',
            x(low),
            x(high),
        )
    return format_html(
        '<svg class="whisker" width="{}" height="14" role="img" aria-label="{}">'
        '<line x1="{}" y1="7" x2="{}" y2="7" stroke="#e3e6ea"/>{}'
        '<circle cx="{}" cy="7" r="3.5" fill="#1c2330"/></svg>',
        width,
        label,
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


@register.simple_tag
def robustness_plot(rows: list[Any], perturbation: str) -> str:
    """One line per method: the primary metric at each level of one perturbation (SVG)."""
    series = []
    for row in rows:
        points = [lv.value for lv in row.levels if lv.perturbation == perturbation]
        labels = [lv.level for lv in row.levels if lv.perturbation == perturbation]
        series.append((f"{row.team} · {row.method}", [row.clean, *points], ["clean", *labels]))
    if not series or len(series[0][1]) < 2:
        return ""
    width, height, pad = 360, 180, 30
    count = len(series[0][1])

    def x(i: int) -> float:
        return pad + i * (width - 2 * pad) / (count - 1)

    def y(v: float) -> float:
        return height - pad - max(0.0, min(1.0, v)) * (height - 2 * pad)

    lines = []
    for index, (name, values, _) in enumerate(series):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None)
        lines.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5">'
                "<title>{}</title></polyline>",
                coords,
                colour,
                name,
            )
        )
    ticks = [
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" font-size="10">{}</text>',
            f"{x(i):.1f}",
            height - 10,
            label,
        )
        for i, label in enumerate(series[0][2])
    ]
    legend = [
        format_html(
            '<li><span class="swatch" style="background:{}"></span>{}</li>',
            LINE_COLOURS[i % len(LINE_COLOURS)],
            name,
        )
        for i, (name, _, _) in enumerate(series)
    ]
    return format_html(
        '<figure class="robustness"><svg width="{}" height="{}" role="img" aria-label="{}">'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#c9ced6"/>{}{}</svg>'
        '<figcaption>{} <ul class="legend">{}</ul></figcaption></figure>',
        width,
        height,
        f"primary metric by {perturbation} level",
        pad,
        pad,
        width - 2 * pad,
        height - 2 * pad,
        mark_safe("".join(lines)),  # each piece came from format_html
        mark_safe("".join(ticks)),
        perturbation,
        mark_safe("".join(legend)),
    )
