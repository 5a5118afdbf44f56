"""The agent's side of the platform's agent API (/api/agent/v1/).

Every call carries the agent credential. Calls that change state carry the attempt token the
claim returned, so a repeated call (a retry after a lost answer) is harmless and a call from a
superseded attempt is refused. Transient faults (connection refused while the platform
restarts, 5xx) are retried with backoff; a 4xx is an answer.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

logger = logging.getLogger(__name__)

API = "/api/agent/v1"
CHUNK = 1024 * 1024


class PlatformError(RuntimeError):
    """The platform answered with an error, or did not answer within the retry budget."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Response(Protocol):
    status_code: int
    headers: Any

    def json(self) -> Any: ...

    def iter_content(self, chunk_size: int) -> Iterator[bytes]: ...


class Transport(Protocol):
    """What the client needs from an HTTP library (requests.Session has it)."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Claim:
    job_id: int
    attempt: str
    spec: dict[str, Any]


@dataclass
class Refusal:
    """The claim was refused: `owner` runs it (a live or dead process), or it is not queued."""

    reason: str
    owner: str = ""
    # No such job on the queues this agent's credential serves (HTTP 404).
    unknown: bool = False


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: Transport | None = None,
        retry_seconds: float = 600.0,
        timeout: float = 60.0,
    ):
        self.base = base_url.rstrip("/") + API
        self.headers = {"Authorization": f"Agent {token}"}
        self.transport: Transport = transport if transport is not None else _session()
        self.retry_seconds = retry_seconds
        self.timeout = timeout

    # -- plumbing -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        answers: tuple[int, ...] = (),
        retry_seconds: float | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """One request, retried on connection faults and 5xx until `retry_seconds` pass."""
        budget = self.retry_seconds if retry_seconds is None else retry_seconds
        deadline = time.monotonic() + budget
        delay = 0.5
        headers = {**self.headers, **kwargs.pop("headers", {})}
        body_factory: Callable[[], Any] | None = kwargs.pop("body_factory", None)
        while True:
            try:
                if body_factory is not None:
                    kwargs["data"] = body_factory()
                response = self.transport.request(
                    method,
                    self.base + path,
                    headers=headers,
                    timeout=self.timeout if timeout is None else timeout,
                    **kwargs,
                )
            except requests.exceptions.RequestException as exc:
                problem, status = f"{exc.__class__.__name__}: {exc}", None
            else:
                if response.status_code in ok or response.status_code in answers:
                    return response
                status = response.status_code
                problem = f"HTTP {status}: {_detail(response)}"
                if status < 500:
                    raise PlatformError(f"{method} {path}: {problem}", status)
            if time.monotonic() + delay > deadline:
                raise PlatformError(f"{method} {path}: gave up after retries ({problem})", status)
            logger.warning("%s %s: %s; retrying in %.1f s", method, path, problem, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    # -- the API --------------------------------------------------------------------------

    def claim(self, job_id: int, *, owner: str, takeover_from: str = "") -> Claim | Refusal:
        response = self._call(
            "POST",
            f"/jobs/{job_id}/claim",
            json={"owner": owner, "takeover_from": takeover_from},
            answers=(404, 409),
        )
        body = response.json()
        # 404: no such job on the queues this agent's credential was given (a job of another
        # queue is never this agent's to run; the message is dropped, the job stays queued).
        if response.status_code in (404, 409):
            return Refusal(
                reason=str(body.get("detail", "")),
                owner=str(body.get("owner", "")),
                unknown=response.status_code == 404,
            )
        return Claim(job_id=job_id, attempt=body["attempt"], spec=body["spec"])

    def heartbeat(self, claim: Claim) -> bool:
        """True while the job is still ours; False once it is cancelled or taken from us.

        One try, briefly: the runner asks between looks at the container, and a platform that
        does not answer must not hold the run up (the next beat asks again)."""
        response = self._call(
            "POST",
            f"/jobs/{claim.job_id}/heartbeat",
            json={"attempt": claim.attempt},
            retry_seconds=0,
            timeout=10,
        )
        return not response.json().get("cancelled", False)

    def download(self, claim: Claim, what: str, target: Path) -> str:
        """Stream `what` (`inputs/<sha256>` or `image`) to `target`; return its sha256."""

        def fetch() -> str:
            response = self._call(
                "GET",
                f"/jobs/{claim.job_id}/{what}",
                headers={"X-Attempt": claim.attempt},
                stream=True,
            )
            digest = hashlib.sha256()
            with target.open("wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
            return digest.hexdigest()

        return fetch()

    def upload_output(self, claim: Claim, bundle: Path, sha256: str) -> None:
        self._call(
            "PUT",
            f"/jobs/{claim.job_id}/output",
            headers={
                "X-Attempt": claim.attempt,
                "X-Content-SHA256": sha256,
                "Content-Type": "application/x-tar",
                "Content-Length": str(bundle.stat().st_size),
            },
            body_factory=lambda: bundle.open("rb"),
        )

    def presence(self, body: dict[str, Any], *, retry_seconds: float = 0) -> dict[str, Any]:
        """Say this agent is alive (name, queues, slots, busy, GPUs). By default one brief
        try: the next beat says it again."""
        response = self._call(
            "POST", "/presence", json=body, retry_seconds=retry_seconds, timeout=10
        )
        answer: dict[str, Any] = response.json()
        return answer

    def report_outcome(self, claim: Claim, outcome: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "POST",
            f"/jobs/{claim.job_id}/outcome",
            json={"attempt": claim.attempt, **outcome},
        )
        body: dict[str, Any] = response.json()
        return body


def _session() -> Transport:
    session: Transport = requests.Session()  # type: ignore[assignment]
    return session


def _detail(response: Any) -> str:
    try:
        return str(response.json().get("detail", ""))[:500]
    except Exception:
        return ""
