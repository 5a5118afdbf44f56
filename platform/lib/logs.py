"""Structured logs: every record carries the id of the submission being worked on.

The pipeline's tasks enter `submission_context(id)`; a log record factory copies the id onto
each record made inside it, whatever logger made it (ours, the docker SDK's, Celery's), so one
`grep submission=42` or one JSON filter gives a submission's whole story across workers.
"""

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

NO_SUBMISSION = "-"
_submission_id: ContextVar[str] = ContextVar("forgerybench_submission_id", default=NO_SUBMISSION)
_installed = False


@contextlib.contextmanager
def submission_context(submission_id: int | str) -> Iterator[None]:
    """Tag every log record made inside the block with `submission_id`."""
    token = _submission_id.set(str(submission_id))
    try:
        yield
    finally:
        _submission_id.reset(token)


def install_record_factory() -> None:
    """Make every log record carry `submission_id` (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.submission_id = _submission_id.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class ContextFormatter(logging.Formatter):
    """A plain formatter that never fails on a record made before the factory was installed."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "submission_id"):
            record.submission_id = _submission_id.get()
        return super().format(record)


class JsonFormatter(ContextFormatter):
    """One JSON object a line: what log shippers (Loki, Elasticsearch, CloudWatch) ingest."""

    def format(self, record: logging.LogRecord) -> str:
        super().format(record)  # fills record.message, exc_text and submission_id
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "submission_id": getattr(record, "submission_id", NO_SUBMISSION),
            "process": record.processName,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
