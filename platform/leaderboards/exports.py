"""Leaderboard exports: the same rows and numbers as the page, as CSV or JSON (pandas)."""

import pandas as pd

from .selectors import LeaderboardRow


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
        }
        for name in columns:
            record[name] = row.metrics.get(name)
        primary = columns[0] if columns else None
        record[f"{primary}_ci_low"] = row.interval[0] if row.interval else None
        record[f"{primary}_ci_high"] = row.interval[1] if row.interval else None
        record["scored_at"] = row.scored_at.isoformat()
        records.append(record)
    return pd.DataFrame.from_records(records)
