"""Named validation errors that explain themselves.

A submission that fails validation ends ``failed`` and its team sees ``str(error)``, so the message
names the rule, lists the first offenders with their line numbers and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_LISTED = 20

# (line number in the offending file, or None when the offender has no line, e.g. a missing id)
Offender = tuple[int | None, str]

_TITLES = {
    "bad_json": "lines that are not a JSON object",
    "bad_line": "lines with a missing or wrongly typed field",
    "unknown_field": "lines with a field the protocol does not define",
    "missing_id": "ids expected but not predicted",
    "duplicate_id": "ids predicted more than once",
    "unknown_id": "ids that are not part of this split",
    "bad_score": "scores that are not a finite number in [0, 1]",
    "bad_ranking": "rankings that are not a list of at most 100 unique gallery ids",
    "bad_mask": "masks that are not an 8-bit grayscale PNG of the input's size",
    "path_escape": "mask paths that are absolute or leave the predictions folder",
    "symlink": "files that are symbolic links",
    "file_too_large": "files over the size limit",
    "missing_file": "files that do not exist or are not regular files",
    "empty_file": "files without a single prediction",
    "single_class": "splits holding one class where the metric needs both",
    "inconsistent_video": "videos whose frames disagree",
}


class _NamedError(ValueError):
    kind = "input"

    def __init__(self, code: str, offenders: Sequence[Offender], *, total: int | None = None):
        self.code = code
        self.offenders: list[Offender] = list(offenders[:MAX_LISTED])
        self.total = len(offenders) if total is None else total
        super().__init__(self._message())

    def _message(self) -> str:
        title = _TITLES.get(self.code, self.code.replace("_", " "))
        head = f"{self.kind} error {self.code}: {self.total} {title}"
        lines = [head]
        for line, detail in self.offenders:
            where = f"line {line}" if line is not None else "-"
            lines.append(f"  {where}: {detail}")
        more = self.total - len(self.offenders)
        if more > 0:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


class PredictionError(_NamedError):
    """A predictions file (or a mask it names) breaks the protocol §3 contract."""

    kind = "prediction"


class TruthError(_NamedError):
    """A ground-truth file is malformed; this is the organizer's problem, not the team's."""

    kind = "truth"
