from typing import Any

from django import template

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
