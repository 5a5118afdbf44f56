"""The organizer console shows each split's shortcut scan: clean, or the flagged features."""

import io
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from benchmarks.models import Split
from benchmarks.shortcuts import scan_split
from tests.benchmarks.test_shortcuts import _write_split

pytestmark = pytest.mark.django_db


def _png(size: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_console_lists_the_scan_of_every_split(smoke_track, people, tmp_path: Path) -> None:
    splits = {s.name: s for s in Split.objects.filter(track=smoke_track)}
    assert splits["val"].shortcut_scan is not None
    assert splits["val"].shortcut_scan["scanned"] and splits["val"].shortcut_scan["flagged"] == []
    # A split whose authentic and tampered images differ in size: the flag names the feature.
    samples = [(0, ".png", _png(24, n)) for n in range(12)] + [
        (1, ".png", _png(40, 100 + n)) for n in range(12)
    ]
    flagged = scan_split(*_write_split(tmp_path, samples))
    test = splits["test"]
    Split.objects.filter(pk=test.pk).update(metadata={"import": {"shortcut_scan": flagged}})
    client = Client()
    client.force_login(people.organizer)
    body = client.get("/organize/").content.decode()
    assert body.count('class="shortcut-scan"') == Split.objects.count()
    assert "clean <span" in body
    assert "flagged: file_size AUC 1.000 [1.000, 1.000]" in body and "width AUC 1.000" in body
