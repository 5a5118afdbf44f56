"""Named validation errors that explain themselves.

A submission that fails validation ends ``failed`` and its team sees ``str(error)``, so the message
names the rule, lists the first offenders with their line numbers and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_LISTED = 20
# An offender's detail can quote what the container wrote (an unknown id, a bad value): cut
# it, so a reason never carries more than MAX_LISTED * MAX_DETAIL_CHARS of the container's text.
MAX_DETAIL_CHARS = 120

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


# Every validation code a team can be told (the order is the docs' and the leak bound's).
CODES = tuple(_TITLES)


def _cut(detail: str) -> str:
    if len(detail) <= MAX_DETAIL_CHARS:
        return detail
    return f"{detail[: MAX_DETAIL_CHARS - 1]}… ({len(detail)} characters)"


class _NamedError(ValueError):
    kind = "input"

    def __init__(
        self,
        code: str,
        offenders: Sequence[Offender],
        *,
        total: int | None = None,
        others: dict[str, Sequence[Offender]] | None = None,
    ):
        self.code = code
        self.offenders: list[Offender] = list(offenders[:MAX_LISTED])
        self.total = len(offenders) if total is None else total
        # Every other rule the same file broke, so one run reports all of them: code -> the
        # first offenders and how many there were.
        self.others: dict[str, tuple[list[Offender], int]] = {
            other: (list(found[:MAX_LISTED]), len(found)) for other, found in (others or {}).items()
        }
        super().__init__(self._message())

    @property
    def codes(self) -> list[str]:
        """Every error code found, the first (``code``) first."""
        return [self.code, *self.others]

    def _section(self, code: str, offenders: list[Offender], total: int) -> list[str]:
        title = _TITLES.get(code, code.replace("_", " "))
        lines = [f"{self.kind} error {code}: {total} {title}"]
        for line, detail in offenders:
            where = f"line {line}" if line is not None else "-"
            lines.append(f"  {where}: {_cut(detail)}")
        if total > len(offenders):
            lines.append(f"  ... and {total - len(offenders)} more")
        return lines

    def _message(self) -> str:
        lines = self._section(self.code, self.offenders, self.total)
        for code, (offenders, total) in self.others.items():
            lines.extend(self._section(code, offenders, total))
        return "\n".join(lines)


class PredictionError(_NamedError):
    """A predictions file (or a mask it names) breaks the protocol §3 contract."""

    kind = "prediction"


class TruthError(_NamedError):
    """A ground-truth file is malformed; this is the organizer's problem, not the team's."""

    kind = "truth"
