"""``python -m evaluator score --task TASK --truth TRUTH.jsonl --predictions PREDICTIONS.jsonl``

Exit status: 0 scored; 2 bad input (a named validation error on stderr, never a traceback);
1 an internal error. With ``--json`` stdout holds exactly :func:`evaluator.scoring.score_files`'s
object; without, a readable table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluator import PROTOCOL_VERSION, __version__
from evaluator.bootstrap import N_RESAMPLES
from evaluator.metrics.registry import TASKS, task_spec
from evaluator.validation import DEFAULT_MAX_FILE_BYTES, PredictionError, TruthError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluator",
        description=f"ForgeryBench offline scorer (protocol {PROTOCOL_VERSION}).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="validate and score a predictions file")
    score.add_argument("--task", required=True, choices=TASKS)
    score.add_argument("--truth", required=True, type=Path, help="truth JSONL file")
    score.add_argument("--predictions", required=True, type=Path, help="predictions JSONL file")
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    score.add_argument("--resamples", type=int, default=N_RESAMPLES, help=f"default {N_RESAMPLES}")
    score.add_argument("--primary", help="metric that gets the interval (default: the task's)")
    score.add_argument(
        "--max-file-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES, help="per-file size limit"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from evaluator.scoring import score_files  # after parsing: --help stays instant

    try:
        result = score_files(
            args.task,
            args.truth,
            args.predictions,
            seed=args.seed,
            n_resamples=args.resamples,
            primary=args.primary,
            max_file_bytes=args.max_file_bytes,
        )
    except (PredictionError, TruthError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:  # a bad option value, e.g. an unknown --primary
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug: say so in one line, never dump a traceback on a reviewer
        print(f"internal error, please report: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if args.json:
        json.dump(result, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(result))
    return 0


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def format_table(result: dict[str, Any]) -> str:
    """A plain-text report: one metric a line, the primary marked, its interval beside it."""
    spec = task_spec(result["task"])
    primary = result["primary"]
    lines = [
        f"ForgeryBench protocol {result['protocol']}, task {result['task']}",
        f"primary: {primary}; 95% bootstrap interval over {result['resampling_unit']}s, "
        f"{result['n_resamples']} resamples, seed {result['seed']}",
        "",
        f"{'metric':<18} {'value':>10}  {'95% interval':<20} direction",
    ]
    for metric in spec.metrics:
        if metric.name not in result:
            continue
        interval = result["ci"].get(metric.name)
        shown = "" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]"
        if metric.name == primary and interval is None:
            shown = "undefined"
        marker = "*" if metric.name == primary else " "
        direction = "higher is better" if metric.higher_is_better else "lower is better"
        value = _number(result[metric.name])
        lines.append(f"{metric.name + marker:<18} {value:>10}  {shown:<20} {direction}")
    counts = ", ".join(f"{key} {value}" for key, value in result["n"].items())
    lines += ["", f"n: {counts}", ""]
    return "\n".join(lines)
