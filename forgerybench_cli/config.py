"""Where the CLI keeps its server address, token and cached val samples.

Environment variables win over the config file, so CI can run without `login`:
FORGERYBENCH_SERVER, FORGERYBENCH_TOKEN; FORGERYBENCH_CONFIG_DIR / FORGERYBENCH_CACHE_DIR
move the folders.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import click

APP = "forgerybench"


def config_dir() -> Path:
    return Path(os.environ.get("FORGERYBENCH_CONFIG_DIR") or click.get_app_dir(APP))


def cache_dir() -> Path:
    explicit = os.environ.get("FORGERYBENCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP


@dataclass
class Settings:
    server: str
    token: str


def config_path() -> Path:
    return config_dir() / "config.json"


def load() -> Settings:
    stored: dict[str, str] = {}
    path = config_path()
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = {}
    return Settings(
        server=(os.environ.get("FORGERYBENCH_SERVER") or stored.get("server") or "").rstrip("/"),
        token=os.environ.get("FORGERYBENCH_TOKEN") or stored.get("token") or "",
    )


def save(settings: Settings) -> Path:
    """Write the config readable by its owner only (it holds a token)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"server": settings.server.rstrip("/"), "token": settings.token}, handle)
    os.replace(partial, path)
    return path
