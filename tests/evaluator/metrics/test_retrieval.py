from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.metrics import retrieval

gallery = [f"g{i}" for i in range(15)]


def test_examples() -> None:
    relevant = [{"a"}, {"b", "c"}, {"d"}]
    rankings = [["a"], ["x", "c", "y", "b"], ["x"] * 0 + ["y"]]
    assert retrieval.recall_at_k(relevant, rankings, k=1) == pytest.approx(1 / 3)
    assert retrieval.recall_at_k(relevant, rankings, k=5) == pytest.approx(2 / 3)
    # query 2: hits at 2 and 4 -> (1/2 + 2/4) / 2; query 3: nothing retrieved -> 0
    assert retrieval.mean_average_precision(relevant, rankings) == pytest.approx((1 + 0.5 + 0) / 3)


def test_unretrieved_relevant_ids_count_zero() -> None:
    assert retrieval.average_precision_at({"a", "b"}, ["a"]) == 0.5


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.sampled_from(gallery), min_size=1),
    st.permutations(gallery),
    st.integers(0, 15),
    st.integers(1, 15),
)
def test_against_brute_force(relevant: set[str], order: list[str], cut: int, k: int) -> None:
    ranking = order[:cut]
    precisions = [
        sum(item in relevant for item in ranking[: i + 1]) / (i + 1)
        for i, item in enumerate(ranking)
        if item in relevant
    ]
    assert retrieval.average_precision_at(relevant, ranking) == pytest.approx(
        sum(precisions) / len(relevant), abs=1e-12
    )
    assert retrieval.recall_at_k([relevant], [ranking], k=k) == float(
        any(item in relevant for item in ranking[:k])
    )


def test_errors() -> None:
    with pytest.raises(ValueError, match="no relevant"):
        retrieval.average_precision_at(set(), ["a"])
    with pytest.raises(ValueError, match="k must"):
        retrieval.recall_at_k([{"a"}], [["a"]], k=0)
    with pytest.raises(ValueError, match="rankings"):
        retrieval.recall_at_k([{"a"}], [], k=1)
