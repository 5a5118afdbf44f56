"""One page pattern per app: every view the site routes to lives in its app's ``views.py`` or in
a module of its ``views/`` package, and no page module hides under another name."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[3]
# Views the site mounts from libraries, not from its apps.
LIBRARIES = ("django.", "drf_spectacular.")


def _callbacks(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _module(callback: Any) -> str:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return str((view_class or callback).__module__)


def test_every_routed_view_lives_in_its_apps_views() -> None:
    routes = list(_callbacks(get_resolver().url_patterns))
    assert len(routes) > 50  # the whole site, not a part of it
    stray = []
    for route, callback in routes:
        module = _module(callback)
        if module.startswith(LIBRARIES):
            continue
        parts = module.split(".")
        if len(parts) < 2 or parts[1] != "views" or len(parts) > 3:
            stray.append(f"/{route} -> {module}")
    assert not stray, "views outside <app>.views or <app>.views.<group>:\n" + "\n".join(stray)


def test_no_page_module_under_another_pattern() -> None:
    named = [
        str(path.relative_to(ROOT))
        for source_root in (ROOT, ROOT / "platform")
        for path in source_root.glob("*/*_views.py")
    ]
    assert not named, f"page modules belong in views.py or views/<group>.py: {named}"
