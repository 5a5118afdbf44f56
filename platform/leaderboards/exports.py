"""Leaderboard exports: the same rows and numbers as the page, as CSV or JSON (pandas).

Every export carries the audit chain's head at the time of the export (audit.anchor): on
every row, and in the response's ``Audit-Chain-Head`` header. A kept export is evidence
`verify_audit_log --against` checks the log against later.
"""

import pandas as pd
from django.http import HttpResponse

from audit.anchor import Anchor
from audit.selectors import audit_anchor_current

from .selectors import LeaderboardRow

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"): such text cells get a leading single quote in CSV exports.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def frame_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV in which no text cell (team, method, ...) is read as a formula."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(_inert)
    safe.columns = [_inert(c) for c in safe.columns]
    return str(safe.to_csv(index=False))


def frame_anchored(frame: pd.DataFrame, anchor: Anchor | None = None) -> pd.DataFrame:
    """The frame with the chain head's columns on every row (the current head by default)."""
    anchor = anchor or audit_anchor_current()
    for column, value in anchor.columns().items():
        frame[column] = value
    return frame


def response_anchored(response: HttpResponse, anchor: Anchor) -> HttpResponse:
    response["Audit-Chain-Head"] = f"{anchor.seq} {anchor.head}"
    if anchor.hmac:
        response["Audit-Chain-Hmac"] = anchor.hmac
    return response


def leaderboard_frame(rows: list[LeaderboardRow], columns: list[str]) -> pd.DataFrame:
    records = []
    for row in rows:
        record: dict[str, object] = {
            "rank": row.rank,
            "rank_best": row.rank_range[0],
            "rank_worst": row.rank_range[1],
            "team": row.team,
            "baseline": row.is_baseline,
            "method": row.method,
            "training_data": row.training_data,
            "submission": row.submission_id,
            "chosen_by": row.chosen_by,
        }
        for name in columns:
            record[name] = row.metrics.get(name)
        primary = columns[0] if columns else None
        record[f"{primary}_ci_low"] = row.interval[0] if row.interval else None
        record[f"{primary}_ci_high"] = row.interval[1] if row.interval else None
        record["scored_at"] = row.scored_at.isoformat()
        records.append(record)
    return pd.DataFrame.from_records(records)
