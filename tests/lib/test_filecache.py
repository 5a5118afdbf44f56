"""lib.filecache: reads what Django's file cache writes (and the other way round), honours
expiry as it does, and writes are Django's own."""

import time
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from lib.filecache import FileCache

VALUES = [{"_auth_user_id": "1", "hash": "x" * 64}, b"\0" * 100_000, 7, None, ("a", 1.5)]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[FileBasedCache, FileCache]:
    return FileBasedCache(str(tmp_path), {}), FileCache(str(tmp_path), {})


@pytest.mark.parametrize("value", VALUES, ids=["dict", "bytes", "int", "none", "tuple"])
def test_each_reads_what_the_other_wrote(pair, value) -> None:  # type: ignore[no-untyped-def]
    django, ours = pair
    django.set("written-by-django", value, timeout=60)
    ours.set("written-by-ours", value, timeout=None)
    assert ours.get("written-by-django", "missing") == value
    assert django.get("written-by-ours", "missing") == value


def test_expired_and_empty_entries_are_missing_and_deleted(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    django, ours = pair
    ours.set("short", "v", timeout=0.05)
    assert ours.get("short") == "v"
    time.sleep(0.1)
    assert ours.get("short", "gone") == "gone"
    assert not list(tmp_path.glob("*.djcache"))
    django.set("emptied", "v")
    (path,) = tmp_path.glob("*.djcache")
    path.write_bytes(b"")
    assert ours.get("emptied", "gone") == "gone" and not path.exists()


def test_a_missing_entry_and_a_deleted_one_give_the_default(pair) -> None:  # type: ignore[no-untyped-def]
    _, ours = pair
    assert ours.get("never", 3) == 3
    ours.set("k", "v")
    ours.delete("k")
    assert ours.get("k") is None


def test_an_entry_larger_than_one_read_comes_back_whole(pair) -> None:  # type: ignore[no-untyped-def]
    import os

    django, ours = pair
    value = os.urandom(300_000)  # incompressible: the file is several reads long
    django.set("big", value)
    assert ours.get("big") == value
