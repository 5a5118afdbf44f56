"""The installation's own secret: one random key, made once, kept beside the sealed labels.

Hidden data must not be recomputable from anything public (definitions, code, public file
names). Keys derived from this secret stand in where a public value would otherwise decide
hidden data: the ids of imported samples and the generator seeds of hidden generated splits
(whose declared seeds are public in the definition files). The key file
lies in the labels folder (never mounted into a container, never packed into an archive) with
mode 0600; back it up with the labels: a lost key makes re-imports and rebuilt hidden splits
differ from the scored ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from django.conf import settings

KEY_FILE = ".installation-key"  # a dot name: never a benchmark slug


class EmptyIdKey(ValueError):
    """An explicitly empty id key would make hidden ids computable from public file names."""


def key_path() -> Path:
    return Path(settings.FORGERYBENCH_LABELS_DIR) / KEY_FILE


def installation_key() -> bytes:
    """The installation's secret (32 random bytes), created on first use with mode 0600."""
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise RuntimeError(f"{path} holds no usable key; restore it from the labels backup")
    return text.encode("ascii")


def derived(purpose: str) -> str:
    """A hex key for one purpose, derived from the installation's secret."""
    return hmac.new(installation_key(), purpose.encode(), hashlib.sha256).hexdigest()


def import_id_key(explicit: str | None) -> str:
    """The key mixed into imported sample ids: the organizer's, else the installation's."""
    if explicit is None:
        return derived("import-ids")
    if not explicit.strip():
        raise EmptyIdKey(
            "--id-key must not be empty: ids would be computable from the public file names; "
            "leave it out to use this installation's own key"
        )
    return explicit


def hidden_seed(*, where: str, seed: int) -> int:
    """The generator seed of a hidden split ``where`` (benchmark/track/split): its declared
    seed keyed by the installation's secret, so the public definition cannot rebuild it."""
    return int(derived(f"hidden-seed/{where}/{seed}")[:15], 16)
