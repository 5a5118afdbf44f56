"""The generation counter that keys every cached board of a track."""

import pytest
from django.db import transaction

from benchmarks.models import Benchmark, Track
from benchmarks.selectors import track_results_generation
from benchmarks.services import track_results_changed

pytestmark = pytest.mark.django_db


def _track() -> Track:
    bench = Benchmark.objects.create(slug="gen", name="Gen", synthetic=True)
    return Track.objects.create(
        benchmark=bench, slug="image", name="Image", task="detection", primary_metric="auc"
    )


def _generation() -> int:
    generation = track_results_generation(benchmark_slug="gen", track_slug="image")
    assert generation is not None
    return generation


def test_an_address_naming_no_track_starts_no_counter() -> None:
    from benchmarks.results_generation import generation_key
    from lib.versiontable import versions

    _track()
    assert track_results_generation(benchmark_slug="gen", track_slug="made-up") is None
    assert track_results_generation(benchmark_slug="made-up", track_slug="image") is None
    assert versions().get(generation_key(benchmark_slug="gen", track_slug="made-up")) == 0
    assert _generation() > 0, "a real track's counter starts on its first read"


def test_a_write_outside_a_transaction_bumps_once() -> None:
    track = _track()
    before = _generation()
    track_results_changed(track=track)
    assert _generation() == before + 1


def test_a_board_cached_between_the_write_and_its_commit_is_left_behind(
    django_capture_on_commit_callbacks,
) -> None:
    """A reader on another connection still sees the rows from before an uncommitted removal;
    what it caches under the generation it read must not be served after the commit."""
    track = _track()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        track_results_changed(track=track)
        read_mid_write = _generation()
    after_commit = _generation()
    assert after_commit > read_mid_write


def test_a_lost_counter_starts_past_every_value_it_had() -> None:
    """Lost with its file (or evicted from a cache), the counter must not name a board cached
    long ago again."""
    import os

    from lib.versiontable import VersionTable, versions

    track = _track()
    for _ in range(3):
        track_results_changed(track=track)
    before = _generation()
    table = versions()
    assert isinstance(table, VersionTable)
    os.remove(table.path)
    assert _generation() > before
    os.remove(table.path)
    track_results_changed(track=track)
    assert _generation() > before
