"""lib.processcache: values kept as they are (the same object back), only immutable ones,
expiry, least recently used out first, and Django's cache API."""

import threading
import time
import uuid

import pytest

from lib.processcache import ProcessCache


def _cache(max_entries: int = 3, location: str = "") -> ProcessCache:
    cache = ProcessCache(
        location or f"test-{uuid.uuid4()}", {"OPTIONS": {"MAX_ENTRIES": max_entries}}
    )
    return cache


def test_a_value_comes_back_as_the_same_object_never_a_copy() -> None:
    cache = _cache()
    page = b"<p>" * 50_000
    cache.set("page", ("title", page))
    assert cache.get("page")[1] is page


@pytest.mark.parametrize("value", [[1], {"a": 1}, ("ok", [1]), bytearray(b"x"), object()])
def test_a_mutable_value_is_refused(value: object) -> None:
    cache = _cache()
    with pytest.raises(TypeError, match="mutable"):
        cache.set("k", value)
    assert cache.get("k") is None


def test_entries_expire_and_add_touch_delete_behave_as_djangos() -> None:
    cache = _cache()
    cache.set("short", "v", timeout=0.05)
    assert cache.get("short") == "v" and cache.has_key("short")
    time.sleep(0.1)
    assert cache.get("short", "gone") == "gone" and not cache.has_key("short")
    assert cache.add("k", 1) and not cache.add("k", 2) and cache.get("k") == 1
    assert cache.touch("k", timeout=None) and not cache.touch("missing")
    assert cache.delete("k") and not cache.delete("k")
    cache.set("forever", "v", timeout=None)
    assert cache.get("forever") == "v"
    cache.clear()
    assert cache.get("forever") is None


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = _cache(max_entries=3)
    for key in "abc":
        cache.set(key, key)
    cache.get("a")  # now b is the least recently used
    cache.set("d", "d")
    assert [cache.get(key) for key in "abcd"] == ["a", None, "c", "d"]


def test_every_threads_instance_of_one_location_shares_its_store() -> None:
    mine = _cache(location="shared-location")
    mine.clear()
    theirs: list[ProcessCache] = []
    thread = threading.Thread(target=lambda: theirs.append(_cache(location="shared-location")))
    thread.start()
    thread.join()
    theirs[0].set("k", "v")
    assert mine.get("k") == "v"
    mine.clear()
    assert theirs[0].get("k") is None
