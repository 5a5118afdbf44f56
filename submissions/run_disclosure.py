"""What a team sees of one run: all of it on a public split, only rounded measurements on a
hidden one.

A container reads a hidden split's inputs; anything the team can see that the container can
steer is a channel out of the hidden split. So on a hidden (or out-of-distribution) split the
team sees only what the *platform* measured, each value put into one of a few bands:

- the outcome code (a fixed vocabulary; for invalid predictions the first rule broken and the
  band of its offender count, never the offenders themselves),
- the exit code's band, the wall time's, the peak memory's and the output size's (four bands
  each, relative to the track's limits),

and never the container's stdout/stderr nor anything it wrote. ``hidden_view_count`` counts the
distinct views a hidden run can produce; docs/security.md turns it into the leak bound, and the
attack test in tests/security checks the platform keeps to it. Public splits (val) show
everything, so crashes stay debuggable there.

Plain Python on purpose: the bound is computed from the same tables that round the views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evaluator.runner import OUTCOMES
from evaluator.validation.errors import CODES as VALIDATION_CODES

# Failure codes the platform itself writes (see submissions.models.PLATFORM_FAILURE_CODES) and
# the end state of a run that was scored.
PLATFORM_CODES = ("platform_error", "platform_timeout")
# The score step's code for predictions it could not process for a reason validation did not
# name (an unexpected error while reading what the container wrote): the team's failure.
BAD_OUTPUT = "bad_output"
FINISHED = "finished"

EXIT_BANDS = ("not measured", "0", "1", "2-127", "128 or more (killed by a signal)")
# Band edges as fractions of the limit: four bands each, plus "not measured".
TIME_EDGES = (1 / 64, 1 / 8, 1 / 2)
MEMORY_EDGES = (1 / 16, 1 / 4, 3 / 4)
OUTPUT_EDGES = (1 / 1024, 1 / 16)  # with "nothing" below the first: four bands
COUNT_BANDS = ("1", "2-9", "10 or more", "every sample")
NOT_MEASURED = "not measured"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits the bands are relative to (a track's, at the time of the run)."""

    timeout_seconds: int
    memory_mb: int
    output_cap_mb: int
    sample_count: int


def exit_band(code: int | None) -> str:
    if code is None:
        return EXIT_BANDS[0]
    if code in (0, 1):
        return str(code)
    return EXIT_BANDS[3] if 2 <= code <= 127 else EXIT_BANDS[4]


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def _band(value: float | None, limit: float, edges: tuple[float, ...], unit: str) -> str:
    if value is None:
        return NOT_MEASURED
    cuts = [limit * edge for edge in edges]
    for i, cut in enumerate(cuts):
        if value < cut:
            low = "" if i == 0 else f"{_number(cuts[i - 1])}-"
            return f"{low}{_number(cut)} {unit}" if low else f"under {_number(cut)} {unit}"
    return f"{_number(cuts[-1])} {unit} or more"


def time_band(seconds: float | None, limits: Limits) -> str:
    return _band(seconds, limits.timeout_seconds, TIME_EDGES, "s")


def memory_band(peak_bytes: int | None, limits: Limits) -> str:
    value = None if peak_bytes is None else peak_bytes / MIB
    return _band(value, limits.memory_mb, MEMORY_EDGES, "MiB")


def output_band(output_bytes: int | None, limits: Limits) -> str:
    if output_bytes == 0:
        return "nothing"
    value = None if output_bytes is None else output_bytes / MIB
    return _band(value, limits.output_cap_mb, OUTPUT_EDGES, "MiB")


def count_band(count: int, limits: Limits) -> str:
    if count >= limits.sample_count:
        return COUNT_BANDS[3]
    if count <= 1:
        return COUNT_BANDS[0]
    return COUNT_BANDS[1] if count <= 9 else COUNT_BANDS[2]


@dataclass(frozen=True)
class HiddenRunView:
    """Everything a team is shown of one hidden run."""

    outcome: str
    exit: str
    wall_time: str
    peak_memory: str
    output: str

    def as_dict(self) -> dict[str, str]:
        return {
            "outcome": self.outcome,
            "exit": self.exit,
            "wall_time": self.wall_time,
            "peak_memory": self.peak_memory,
            "output": self.output,
        }


def hidden_view(
    *,
    outcome: str,
    exit_code: int | None,
    wall_seconds: float | None,
    peak_memory_bytes: int | None,
    output_bytes: int | None,
    limits: Limits,
) -> HiddenRunView:
    return HiddenRunView(
        outcome=outcome,
        exit=exit_band(exit_code),
        wall_time=time_band(wall_seconds, limits),
        peak_memory=memory_band(peak_memory_bytes, limits),
        output=output_band(output_bytes, limits),
    )


def hidden_run_message(*, outcome: str, exit_code: int | None, limits: Limits) -> str:
    """A failed hidden run's reason, in the platform's words only."""
    messages = {
        "timeout": f"timed out after {limits.timeout_seconds} s",
        "oom": f"out of memory (limit {limits.memory_mb} MiB)",
        "pids_limit": "stopped by the process limit",
        "nonzero_exit": f"the container exited with code {exit_band(exit_code)}",
        "start_failed": "the container could not start",
        "image_missing": "the image is not in the engine",
        "bad_output": "what the container wrote could not be processed",
        "bad_output_file": "/output held something other than regular files and folders with "
        "clean names (named on public splits only)",
        "output_too_large": "/output went past its size budget",
        "output_too_many_files": "/output held too many files or folders, or too deep",
        "bad_bundle": "/output could not be carried out whole",
    }
    return messages.get(outcome, outcome)


def hidden_prediction_reason(*, code: str, count: int, limits: Limits) -> str:
    """Invalid predictions on a hidden split: the first rule broken and its count's band, never
    an offender (ids, values, lines and file names are what the container wrote)."""
    if code not in VALIDATION_CODES:
        return f"invalid predictions: {code}"
    return (
        f"invalid predictions: {code} ({count_band(count, limits)}); offenders are listed on "
        "public splits only"
    )


def outcome_vocabulary() -> list[str]:
    """Every outcome a team can see of a hidden run; validation codes come with a count band."""
    plain = [o for o in OUTCOMES if o != "completed"] + list(PLATFORM_CODES)
    plain += [BAD_OUTPUT, FINISHED]
    with_counts = [f"{code} ({band})" for code in VALIDATION_CODES for band in COUNT_BANDS]
    return plain + with_counts


def hidden_view_count(*, with_time: bool = True) -> int:
    """How many distinct views of one hidden run a team can tell apart (an upper bound: the
    product of every field's bands, as if all were independent). `with_time=False` leaves the
    wall-time band out: it is a function of the run's duration, which `timing_bits` counts."""
    outcomes = len(outcome_vocabulary())
    exits = len(EXIT_BANDS)
    times = len(TIME_EDGES) + 2  # the bands, plus "not measured"
    memories = len(MEMORY_EDGES) + 2
    outputs = len(OUTPUT_EDGES) + 3  # nothing, the bands, not measured
    return outcomes * exits * memories * outputs * (times if with_time else 1)


def hidden_view_bits() -> float:
    """Bits a team can learn from what a hidden run shows, beyond its duration."""
    return math.log2(hidden_view_count(with_time=False))


def timing_bits(*, timeout_seconds: int, resolution_seconds: float = 1.0) -> float:
    """What a team can learn by timing a hidden run from outside (status changes, its next
    submission's start): the container picks its exit moment in [0, timeout], and a team
    telling moments apart at `resolution_seconds` sees one of timeout/resolution + 1."""
    return math.log2(timeout_seconds / resolution_seconds + 1)


def leak_bound_bits(*, timeout_seconds: int, resolution_seconds: float = 1.0) -> float:
    """The bound per hidden run: what it shows plus what its timing carries."""
    return hidden_view_bits() + timing_bits(
        timeout_seconds=timeout_seconds, resolution_seconds=resolution_seconds
    )
