"""Benchmark definitions (YAML) checked and applied from the organizer console.

The checks are ``load_benchmarks --check``'s: every problem of the text at once
(``benchmarks.spec``, as ``file: key.path: what is wrong``), then every change that would
invalidate scored results (``benchmarks.definitions_apply.check_conflicts``), all listed together.
Nothing is written until the text passes every check. Applying runs ``definitions_apply`` in
one transaction with the per-row ``definition_changed`` entries attributed to the organizer
and their reason, keeps the text as ``<slug>.yaml`` in ``FORGERYBENCH_DEFINITIONS_DIR``
(which ``load_benchmarks`` reads after the shipped files, so a reload keeps the edit), and
appends one ``definition_applied`` entry: who, which benchmark, the text's SHA-256 and size,
the digest of the text it replaced.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from audit.actors import actor_name
from audit.definitions import definition_change_by
from audit.models import AuditAction
from audit.services import audit_append
from benchmarks.definitions_apply import (
    DefinitionConflict,
    LoadReport,
    check_conflicts,
    definitions_apply,
)
from benchmarks.models import Benchmark
from benchmarks.spec import (
    CONSOLE_LABEL,
    DEFINITIONS_DIR,
    BenchmarkDef,
    DefinitionError,
    parse_definition,
)

MAX_DEFINITION_BYTES = 512 * 1024
NEW_LABEL = f"{CONSOLE_LABEL}new.yaml"


class DefinitionRefused(ValueError):
    """The definition was not applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))


@dataclass(frozen=True)
class DefinitionCheck:
    problems: list[str]
    benchmark: BenchmarkDef | None = None
    sha256: str = ""
    size: int = 0
    exists: bool = False  # the benchmark is in the database already (an edit)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.benchmark is not None


def console_file(slug: str) -> Path:
    return Path(settings.FORGERYBENCH_DEFINITIONS_DIR) / f"{slug}.yaml"


def definition_check(*, text: str, slug: str | None = None) -> DefinitionCheck:
    """Every problem of ``text`` as the definition of one benchmark (``slug``: the one being
    edited, which it must keep); nothing is written."""
    data = text.encode("utf-8")
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    label = f"{CONSOLE_LABEL}{slug}.yaml" if slug else NEW_LABEL
    if size > MAX_DEFINITION_BYTES:
        return DefinitionCheck(
            [f"{label}: the definition is {size:,} bytes; at most {MAX_DEFINITION_BYTES:,}"]
        )
    if not text.strip():
        return DefinitionCheck([f"{label}: the definition is empty"])
    try:
        parsed = parse_definition(text, label)
    except DefinitionError as exc:
        return DefinitionCheck(list(exc.problems), sha256=digest, size=size)
    if len(parsed) != 1:
        return DefinitionCheck(
            [f"{label}: benchmarks: declare exactly one benchmark here, not {len(parsed)}"],
            sha256=digest,
            size=size,
        )
    bdef = parsed[0]
    problems: list[str] = []
    if slug and bdef.slug != slug:
        problems.append(
            f"{label}: benchmarks[0].slug: this page edits {slug!r}, not {bdef.slug!r} "
            "(a new benchmark is added from the new-definition page)"
        )
    if not slug and Benchmark.objects.filter(slug=bdef.slug).exists():
        problems.append(
            f"{label}: benchmarks[0].slug: {bdef.slug!r} exists already: edit it from its "
            "own definition page"
        )
    final = parse_definition(text, f"{CONSOLE_LABEL}{bdef.slug}.yaml")[0]
    problems += check_conflicts([final])
    exists = Benchmark.objects.filter(slug=final.slug).exists()
    notes = [
        f"{'updates' if exists else 'creates'} benchmark {final.slug!r}: "
        f"{len(final.tracks)} track(s) ({', '.join(t.slug for t in final.tracks)}), "
        f"{len(final.phases)} phase(s)"
    ]
    return DefinitionCheck(problems, final, digest, size, exists, notes)


def definition_apply(
    *, text: str, user: User, reason: str, slug: str | None = None
) -> tuple[Benchmark, LoadReport]:
    """Apply one benchmark's definition if every check passes; audited. Raises
    :class:`DefinitionRefused` with every problem otherwise (nothing written)."""
    reason = reason.strip()
    check = definition_check(text=text, slug=slug)
    problems = list(check.problems)
    if not reason:
        problems.append("reason: say why: applying a definition needs a reason")
    if problems or check.benchmark is None:
        raise DefinitionRefused(problems)
    bdef = check.benchmark
    path = console_file(bdef.slug)
    previous = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    actor = actor_name(user)
    try:
        with transaction.atomic(), definition_change_by(actor=actor, reason=reason):
            report = definitions_apply([bdef])
            benchmark = Benchmark.objects.get(slug=bdef.slug)
            audit_append(
                action=AuditAction.DEFINITION_APPLIED,
                target_type="benchmark",
                target_id=bdef.slug,
                actor=actor,
                reason=reason,
                payload={
                    "file": bdef.file,
                    "sha256": check.sha256,
                    "bytes": check.size,
                    "previous_sha256": previous,
                    "created": not check.exists,
                    "tracks": [t.slug for t in bdef.tracks],
                    "phases": [p.slug for p in bdef.phases],
                },
            )
            _write_atomically(path, text)
    except DefinitionConflict as exc:  # a result was scored between the check and now
        raise DefinitionRefused(exc.problems) from None
    return benchmark, report


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def definition_text(*, benchmark: Benchmark) -> str:
    """The text to start an edit from: the console's file of the benchmark, else its entry of
    the shipped definition file it was loaded from (as YAML of that entry alone), else ''."""
    path = console_file(benchmark.slug)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    name = benchmark.definition_file
    shipped = DEFINITIONS_DIR / name
    if not name or name.startswith(CONSOLE_LABEL) or not shipped.is_file():
        return ""
    doc: Any = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    entries = doc.get("benchmarks", []) if isinstance(doc, dict) else []
    entry = next(
        (e for e in entries if isinstance(e, dict) and e.get("slug") == benchmark.slug), None
    )
    if entry is None:
        return ""
    header = (
        f"# {benchmark.name}, from benchmarks/definitions/{name} (comments and shared anchors of\n"
        "# that file are not carried over). Applied here, this text replaces that entry.\n"
    )
    return header + yaml.safe_dump(
        {"benchmarks": [entry]}, sort_keys=False, allow_unicode=True, width=96
    )
