"""The bands a team sees of a hidden run, and the bound they add up to."""

from submissions.run_disclosure import (
    COUNT_BANDS,
    Limits,
    count_band,
    exit_band,
    hidden_prediction_reason,
    hidden_view,
    hidden_view_count,
    output_band,
    time_band,
)

LIMITS = Limits(timeout_seconds=300, memory_mb=1024, output_cap_mb=1024, sample_count=400)


def test_values_fall_into_four_bands_relative_to_the_limits() -> None:
    assert [time_band(s, LIMITS) for s in (0.5, 4.6, 10, 40, 149, 150, 299)] == [
        "under 4.7 s",
        "under 4.7 s",
        "4.7-38 s",
        "38-150 s",
        "38-150 s",
        "150 s or more",
        "150 s or more",
    ]
    assert time_band(None, LIMITS) == "not measured"
    assert [exit_band(c) for c in (None, 0, 1, 3, 127, 137, 255)] == [
        "not measured",
        "0",
        "1",
        "2-127",
        "2-127",
        "128 or more (killed by a signal)",
        "128 or more (killed by a signal)",
    ]
    assert output_band(0, LIMITS) == "nothing"
    assert output_band(5 * 2**20, LIMITS) == "1-64 MiB"
    assert [count_band(n, LIMITS) for n in (1, 7, 399, 400)] == list(COUNT_BANDS)


def test_a_view_and_a_reason_carry_no_exact_value() -> None:
    view = hidden_view(
        outcome="nonzero_exit",
        exit_code=97,
        wall_seconds=12.3,
        peak_memory_bytes=300 * 2**20,
        output_bytes=1234,
        limits=LIMITS,
    )
    text = str(view.as_dict())
    for exact in ("97", "12.3", "300", "1234"):
        assert exact not in text
    reason = hidden_prediction_reason(code="unknown_id", count=17, limits=LIMITS)
    assert reason.startswith("invalid predictions: unknown_id (10 or more)")
    assert "17" not in reason


def test_the_bound_counts_every_band() -> None:
    # 79 outcomes (15 plain, 16 validation codes x 4 count bands) x 5 exit x 5 memory x 5 output
    assert hidden_view_count(with_time=False) == 79 * 5 * 5 * 5
    assert hidden_view_count() == 79 * 5 * 5 * 5 * 5
