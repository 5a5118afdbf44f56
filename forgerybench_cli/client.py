"""A small requests client for the ForgeryBench API; errors become ApiError(code, message)."""

from collections.abc import Callable
from typing import IO, Any

import requests

from forgerybench_cli import __version__

TIMEOUT = (10, 120)  # connect, read


class ApiError(Exception):
    """A 4xx/5xx answer, or no answer at all (code "unreachable")."""

    def __init__(
        self, code: str, message: str, status: int = 0, body: dict[str, Any] | None = None
    ):
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message
        self.status = status
        self.body = body or {}


class FileSlice:
    """`length` bytes of a file from `offset`, read in blocks; reports each block sent."""

    def __init__(self, handle: IO[bytes], offset: int, length: int, on_read: Callable[[int], None]):
        self.handle = handle
        self.remaining = length
        self.length = length
        self.on_read = on_read
        handle.seek(offset)

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        block = self.handle.read(min(size, 1024 * 1024))
        self.remaining -= len(block)
        self.on_read(len(block))
        return block


class Api:
    def __init__(self, server: str, token: str = ""):
        if not server:
            raise ApiError("no_server", "no server: run `forgerybench login --server URL` first")
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"forgerybench-cli/{__version__}"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return f"{self.server}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        response = self.session.request(method, self.url(path), **kwargs)
        if response.status_code >= 400:
            raise _error(response)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, body: dict[str, Any], **kwargs: Any) -> Any:
        return self.request("POST", path, json=body, **kwargs).json()

    def send_chunk(
        self, upload_id: str, handle: IO[bytes], offset: int, length: int, on_read: Callable
    ) -> dict[str, Any]:
        body = FileSlice(handle, offset, length, on_read)
        response = self.request(
            "PATCH",
            f"/api/v1/uploads/{upload_id}/",
            data=body,
            headers={
                "Content-Type": "application/octet-stream",
                "Upload-Offset": str(offset),
                "Content-Length": str(length),
            },
        )
        return response.json()


def _error(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict) and "code" in body:
        return ApiError(body["code"], body.get("message", ""), response.status_code, body)
    text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return ApiError(f"http_{response.status_code}", text or response.reason, response.status_code)
