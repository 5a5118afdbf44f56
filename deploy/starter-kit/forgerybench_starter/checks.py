"""The protocol §3 checks, run inside the container before the predictions are published.

Same error codes as the platform's validator, but every rule is reported (not only the
first), each with the first 20 offenders and their line numbers.
"""

import json
import math
import os

from PIL import Image

from .contract import Task

MAX_LISTED = 20
MAX_RANKING = 100
FIELDS = {
    "detection": ({"id", "score"}, set()),
    "localization": ({"id", "mask"}, {"score"}),
    "retrieval": ({"id", "ranking"}, set()),
    "video_localization": ({"id", "mask"}, set()),
}

Problems = dict[str, list[tuple[int | None, str]]]


def _is_score(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(float(value))
        and 0.0 <= float(value) <= 1.0
    )


def _mask_problem(folder: str, relative: object, size: tuple | None) -> tuple[str, str] | None:
    if not isinstance(relative, str) or not relative or os.path.isabs(relative):
        return "path_escape", f"{relative!r} is not a relative path"
    parts = relative.replace("\\", "/").split("/")
    if ".." in parts:
        return "path_escape", f"{relative!r} leaves the output folder"
    path = os.path.join(folder, *parts)
    if os.path.islink(path):
        return "symlink", f"{relative} is a symbolic link"
    if not os.path.isfile(path):
        return "missing_file", f"{relative} does not exist"
    try:
        with Image.open(path) as image:
            if image.format != "PNG" or image.mode != "L":
                return "bad_mask", f"{relative}: {image.format} {image.mode}, need PNG mode L"
            if size is not None and image.size != size:
                return (
                    "bad_mask",
                    f"{relative}: {image.size[0]}x{image.size[1]}, need {size[0]}x{size[1]}",
                )
    except OSError as exc:
        return "bad_mask", f"{relative}: {exc}"
    return None


def check_predictions(path: str, task: Task, sizes: dict[str, tuple] | None = None) -> Problems:
    """Every problem of the predictions file at `path`, by error code (empty: valid)."""
    problems: Problems = {}

    def add(code: str, line: int | None, detail: str) -> None:
        problems.setdefault(code, []).append((line, detail))

    if task.task not in FIELDS:
        add("bad_line", None, f"unknown task {task.task!r}")
        return problems
    required, optional = FIELDS[task.task]
    expected = [s.id for s in task.samples if task.task != "retrieval" or s.role == "query"]
    wanted = set(expected)
    seen: dict[str, int] = {}
    folder = os.path.dirname(path)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                add("bad_json", number, "not JSON")
                continue
            if not isinstance(row, dict):
                add("bad_json", number, "not a JSON object")
                continue
            unknown = set(row) - required - optional
            if unknown:
                add("unknown_field", number, f"unexpected {', '.join(sorted(unknown))}")
            missing = required - set(row)
            if missing:
                add("bad_line", number, f"missing {', '.join(sorted(missing))}")
            ident = row.get("id")
            if not isinstance(ident, str):
                add("bad_line", number, f"'id' must be a string, got {ident!r}")
                continue
            if ident in seen:
                add("duplicate_id", number, f"{ident!r} first on line {seen[ident]}")
                continue
            seen[ident] = number
            if ident not in wanted:
                add("unknown_id", number, repr(ident))
                continue
            if "score" in row and not _is_score(row["score"]):
                add("bad_score", number, repr(row["score"]))
            if "mask" in row:
                found = _mask_problem(folder, row["mask"], (sizes or {}).get(ident))
                if found:
                    add(found[0], number, found[1])
            if "ranking" in row:
                ranking = row["ranking"]
                if (
                    not isinstance(ranking, list)
                    or len(ranking) > MAX_RANKING
                    or not all(isinstance(item, str) for item in ranking)
                    or len(set(ranking)) != len(ranking)
                ):
                    add("bad_ranking", number, "need a list of at most 100 unique gallery ids")
    for ident in expected:
        if ident not in seen:
            add("missing_id", None, repr(ident))
    if not seen and not problems:
        add("empty_file", None, "no predictions")
    return problems


def format_problems(problems: Problems) -> str:
    lines = []
    for code, offenders in problems.items():
        lines.append(f"prediction error {code}: {len(offenders)}")
        for line, detail in offenders[:MAX_LISTED]:
            lines.append(f"  {'line ' + str(line) if line else '-'}: {detail}")
        if len(offenders) > MAX_LISTED:
            lines.append(f"  ... and {len(offenders) - MAX_LISTED} more")
    return "\n".join(lines)
