"""The SVG charts alone: well-formed, labelled, escaped, gaps left as gaps."""

import xml.etree.ElementTree as ET

import pytest

from console.svgplot import Series, chart, y_ticks

NS = "{http://www.w3.org/2000/svg}"


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(f"{NS}{tag}")
    assert child is not None, tag
    return child.text


def test_a_chart_is_well_formed_labelled_and_escaped() -> None:
    svg = ET.fromstring(
        chart(
            chart_id="c",
            title="<script>alert(1)</script>",
            desc="a & b",
            x_label="Day",
            y_label="Count",
            categories=["d1", "d2", "d3"],
            series=[Series("<x>", [1, None, 3]), Series("y", [2, 2, 2])],
            kind="line",
        )
    )
    assert svg.get("aria-labelledby") == "c-title c-desc"
    assert _text(svg, "title") == "<script>alert(1)</script>"  # text, not markup
    assert _text(svg, "desc") == "a & b"
    assert not list(svg.iter(f"{NS}script"))
    lines = list(svg.iter(f"{NS}polyline"))
    assert len(lines) == 1  # "<x>" has a gap (no line of one point); "y" has one line
    assert len(list(svg.iter(f"{NS}circle"))) == 5
    legend = [t.text for t in svg.iter(f"{NS}text")]
    assert "<x>" in legend and "y" in legend


def test_bars_have_one_rect_per_value_with_its_number() -> None:
    svg = ET.fromstring(
        chart(
            chart_id="b",
            title="t",
            desc="d",
            x_label="x",
            y_label="y",
            categories=["a", "b"],
            series=[Series("n", [4, 0])],
        )
    )
    rects = [r for r in svg.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [_text(r, "title") for r in rects] == ["n, a: 4", "n, b: 0"]


def test_ticks_cover_the_values() -> None:
    assert y_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert y_ticks(0, 1, integer=True) == [0, 1]
    ticks = y_ticks(0.61, 0.72)
    assert ticks[0] <= 0.61 and ticks[-1] >= 0.72
    with pytest.raises(ValueError):
        chart(chart_id="z", title="", desc="", x_label="", y_label="", categories=[],
              series=[], kind="pie")  # fmt: skip
