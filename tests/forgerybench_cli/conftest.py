"""The CLI runs in-process (typer's runner) against a live server over real HTTP."""

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from forgerybench_cli import app as cli_app
from forgerybench_cli.app import app
from tests.api.conftest import scratch_tarball, token_for  # noqa: F401  (shared fixtures)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `forgerybench ARGS` with its own config and cache folders."""
    monkeypatch.setenv("FORGERYBENCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("FORGERYBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FORGERYBENCH_SERVER", raising=False)
    monkeypatch.delenv("FORGERYBENCH_TOKEN", raising=False)
    # Wide consoles, so tables are not wrapped mid-word in assertions.
    monkeypatch.setattr(cli_app, "out", Console(width=200))
    monkeypatch.setattr(cli_app, "err", Console(stderr=True, width=200))
    runner = CliRunner()

    def run(*args: str, **env: str) -> Result:
        return runner.invoke(app, list(args), env=env or None, catch_exceptions=False)

    return run


class DroppingProxy:
    """A TCP proxy that cuts one connection once `drop_after` request bytes have passed.

    A real dropped connection, as a flaky network gives one, in the middle of an upload.
    """

    def __init__(self, target: tuple[str, int], drop_after: int):
        self.target, self.drop_after = target, drop_after
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            state = {"sent": 0}
            threading.Thread(
                target=self._pipe, args=(client, upstream, state, True), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, state, False), daemon=True
            ).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, state: dict, upward: bool) -> None:
        try:
            while data := source.recv(65536):
                if upward:
                    state["sent"] += len(data)
                    if not self.dropped and state["sent"] > self.drop_after:
                        self.dropped += 1
                        raise ConnectionResetError("cut")
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def dropping_proxy(live_server) -> Iterator[Callable[[int], DroppingProxy]]:  # type: ignore[no-untyped-def]
    made: list[DroppingProxy] = []
    host, port = live_server.url.removeprefix("http://").split(":")

    def make(drop_after: int) -> DroppingProxy:
        made.append(DroppingProxy((host, int(port)), drop_after))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()
