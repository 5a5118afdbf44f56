"""Benchmark definitions as files: parse and check ``benchmarks/definitions/*.yaml``.

Django-free. A definition declares a benchmark's tracks (task, primary metric, resource class,
limits), each track's splits and where their data comes from (a smoke generator, an importer of
an organizer's copy, or perturbed copies of another track's split), its phases and the baseline
images that the demo scores on it. Every problem found in a file is reported at once, each as
``file: key.path: what is wrong``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.importers import IMPORTERS
from benchmarks.perturb import PERTURBATIONS
from benchmarks.smoke.generators import GENERATORS
from evaluator.metrics.registry import REGISTRY

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# "ood": the optional out-of-distribution hidden tier, run only on final picks (protocol §5).
VISIBILITIES = ("public", "hidden", "ood")
ENTRY_RULES = ("best", "last")
RESOURCE_CLASSES = ("cpu", "gpu")


class DefinitionError(ValueError):
    """One or more problems in definition files; ``problems`` holds every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(problems))


@dataclass(frozen=True)
class SplitDef:
    name: str
    visibility: str
    count: int | None = None  # generated splits
    seed: int | None = None
    source_split: str | None = None  # imported splits: the dataset's own split name or list
    variant: str | None = None  # generated splits: another recipe of the generator (OOD)


@dataclass(frozen=True)
class RobustnessDef:
    track: str
    split: str
    seed: int
    sample: int | None
    perturbations: dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class BaselineDef:
    image: str
    method: str


@dataclass(frozen=True)
class TrackDef:
    slug: str
    name: str
    task: str
    primary_metric: str
    resource_class: str
    timeout_seconds: int
    memory_mb: int
    cpus: float
    description: str
    generator: str | None
    importer: str | None
    importer_options: dict[str, Any]
    splits: tuple[SplitDef, ...]
    robustness: RobustnessDef | None
    baselines: tuple[BaselineDef, ...]
    entry_rule: str = "best"  # the row a team gets: its best or its latest finished submission


# When hidden results of a phase are disclosed (protocol §5, disclosure policy):
# "organizer": at an organizer's publication event; "at_end": also, automatically, at the
# phase's end. A declared schedule adds automatic publication moments.
PUBLISH_MODES = ("organizer", "at_end")


@dataclass(frozen=True)
class DisclosureDef:
    """What a team may learn of a hidden split during a phase, and when.

    Each publication moment discloses the hidden results of submissions made up to it; later
    submissions stay hidden until the next moment. ``public_fraction``: a fixed subset of each
    hidden split (chosen by ``public_seed``) scored and shown at once as its public part; the
    complement is scored separately and stays private until publication.
    """

    publish: str = "organizer"
    schedule: tuple[dt.datetime, ...] = ()
    public_fraction: float | None = None
    public_seed: int = 0

    def as_record(self) -> dict[str, Any]:
        return {
            "publish": self.publish,
            "schedule": [moment.isoformat() for moment in self.schedule],
            "public_fraction": self.public_fraction,
            "public_seed": self.public_seed,
        }


@dataclass(frozen=True)
class PhaseDef:
    slug: str
    name: str
    starts: dt.datetime
    ends: dt.datetime | None
    final_picks: int
    one_team_per_person: bool = True
    disclosure: DisclosureDef = field(default_factory=DisclosureDef)


@dataclass(frozen=True)
class TermsDef:
    """Terms of participation and data use; a changed text needs a new version."""

    version: str
    text: str


@dataclass(frozen=True)
class BenchmarkDef:
    slug: str
    name: str
    description: str
    synthetic: bool
    file: str
    tracks: tuple[TrackDef, ...]
    phases: tuple[PhaseDef, ...] = field(default=())
    terms: TermsDef | None = None

    def track(self, slug: str) -> TrackDef:
        return next(t for t in self.tracks if t.slug == slug)


class _Reader:
    """Typed access to a mapping that records problems under ``file: key.path``."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.file}: {key}: {message}")

    def mapping(self, value: Any, key: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            self.problem(key, f"must be a mapping, got {type(value).__name__}")
            return {}
        for name in sorted(set(value) - allowed, key=str):
            self.problem(f"{key}.{name}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for name in sorted(required - set(value)):
            self.problem(f"{key}.{name}", "is required")
        return value

    def str_(self, data: dict, key: str, name: str, default: str | None = None) -> str:
        value = data.get(name, default)
        if not isinstance(value, str) or (not value and default is None):
            if name in data or default is None:
                self.problem(f"{key}.{name}", f"must be a non-empty string, got {value!r}")
            return default or ""
        return value

    def slug(self, data: dict, key: str, name: str = "slug", max_length: int = 40) -> str:
        value = self.str_(data, key, name)
        if value and (not SLUG.match(value) or len(value) > max_length):
            self.problem(
                f"{key}.{name}",
                f"{value!r} must be lowercase letters, digits, - or _ (at most {max_length})",
            )
        return value

    def int_(self, data: dict, key: str, name: str, default: int | None, minimum: int) -> int:
        value = data.get(name, default)
        if type(value) is not int or value < minimum:
            self.problem(f"{key}.{name}", f"must be an integer >= {minimum}, got {value!r}")
            return default if default is not None else minimum
        return value

    def bool_(self, data: dict, key: str, name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.problem(f"{key}.{name}", f"must be true or false, got {value!r}")
            return default
        return value

    def choice(self, data: dict, key: str, name: str, choices: tuple[str, ...], default=None):
        value = data.get(name, default)
        if value not in choices:
            self.problem(f"{key}.{name}", f"{value!r} is not one of {', '.join(choices)}")
            return choices[0]
        return value

    def list_(self, data: dict, key: str, name: str) -> list:
        value = data.get(name, [])
        if not isinstance(value, list):
            self.problem(f"{key}.{name}", f"must be a list, got {type(value).__name__}")
            return []
        return value

    def when(self, data: dict, key: str, name: str, required: bool) -> dt.datetime | None:
        value = data.get(name)
        if value is None:
            if required:
                self.problem(f"{key}.{name}", "is required (a date or date-time)")
            return None
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        else:
            self.problem(
                f"{key}.{name}", f"must be a date (YYYY-MM-DD) or date-time, not {value!r}"
            )
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _split(r: _Reader, raw: Any, key: str, generator: str | None, generated: bool) -> SplitDef:
    variant = None
    if generated:
        data = r.mapping(
            raw,
            key,
            {"name", "visibility", "count", "seed", "variant"},
            {"name", "count", "seed"},
        )
        known = GENERATORS[generator].variants if generator in GENERATORS else ()
        if "variant" in data and not known:
            r.problem(f"{key}.variant", f"generator {generator} has no variants")
        elif "variant" in data:
            variant = r.choice(data, key, "variant", known)
    else:
        data = r.mapping(raw, key, {"name", "visibility", "from"}, {"name", "from"})
    return SplitDef(
        variant=variant,
        name=r.slug(data, key, "name"),
        visibility=r.choice(data, key, "visibility", VISIBILITIES, "hidden"),
        count=r.int_(data, key, "count", None, 2) if generated else None,
        seed=r.int_(data, key, "seed", None, 0) if generated else None,
        source_split=None if generated else r.str_(data, key, "from"),
    )


def _robustness(r: _Reader, raw: Any, key: str, task: str) -> RobustnessDef:
    data = r.mapping(raw, key, {"of", "seed", "sample", "perturbations"}, {"of", "seed"})
    of = r.mapping(data.get("of", {}), f"{key}.of", {"track", "split"}, {"track", "split"})
    raw_levels = data.get("perturbations", {k: list(v) for k, v in PERTURBATIONS.items()})
    levels: dict[str, tuple[float, ...]] = {}
    if not isinstance(raw_levels, dict) or not raw_levels:
        r.problem(f"{key}.perturbations", "must map perturbation names to lists of levels")
        raw_levels = {}
    for name, values in raw_levels.items():
        where = f"{key}.perturbations.{name}"
        if name not in PERTURBATIONS:
            r.problem(where, f"unknown perturbation (known: {', '.join(PERTURBATIONS)})")
            continue
        if not isinstance(values, list) or not values:
            r.problem(where, "must be a non-empty list of levels")
            continue
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        bad = [v for v in values if float(v) not in PERTURBATIONS[name]] if numeric else values
        if bad:
            allowed = ", ".join(f"{v:g}" for v in PERTURBATIONS[name])
            r.problem(where, f"levels {bad!r} are not protocol levels ({allowed})")
            continue
        levels[name] = tuple(float(v) for v in values)
    sample = data.get("sample")
    if sample is not None and (type(sample) is not int or sample < 2):
        r.problem(f"{key}.sample", f"must be an integer >= 2, got {sample!r}")
        sample = None
    return RobustnessDef(
        track=r.slug(of, f"{key}.of", "track"),
        split=r.slug(of, f"{key}.of", "split"),
        seed=r.int_(data, key, "seed", None, 0),
        sample=sample,
        perturbations=levels,
    )


TRACK_KEYS = {
    "slug", "name", "task", "primary_metric", "resource_class", "limits", "description",
    "source", "splits", "robustness", "baselines", "entry_rule",
}  # fmt: skip


def _track(r: _Reader, raw: Any, key: str) -> TrackDef:
    data = r.mapping(raw, key, TRACK_KEYS, {"slug", "name", "task"})
    task = r.choice(data, key, "task", tuple(REGISTRY))
    metrics = tuple(m.name for m in REGISTRY[task].metrics)
    primary = r.choice(data, key, "primary_metric", metrics, REGISTRY[task].primary)
    limits = r.mapping(
        data.get("limits", {}), f"{key}.limits", {"timeout_seconds", "memory_mb", "cpus"}, set()
    )
    cpus = limits.get("cpus", 1)
    if isinstance(cpus, bool) or not isinstance(cpus, int | float) or not 0 < cpus <= 64:
        r.problem(f"{key}.limits.cpus", f"must be a number in (0, 64], got {cpus!r}")
        cpus = 1
    generator = importer = None
    options: dict[str, Any] = {}
    robustness = None
    if "robustness" in data:
        if "source" in data:
            r.problem(f"{key}.source", "a robustness track takes its data from robustness.of")
        robustness = _robustness(r, data["robustness"], f"{key}.robustness", task)
        splits: tuple[SplitDef, ...] = ()
        if "splits" in data:
            r.problem(f"{key}.splits", "a robustness track's splits follow from its perturbations")
    else:
        source = r.mapping(
            data.get("source"), f"{key}.source", {"generator", "importer", "options"}, set()
        )
        if ("generator" in source) == ("importer" in source):
            r.problem(f"{key}.source", "needs exactly one of 'generator' or 'importer'")
        elif "generator" in source:
            generator = r.choice(source, f"{key}.source", "generator", tuple(GENERATORS))
            if GENERATORS[generator].task != task:
                r.problem(
                    f"{key}.source.generator",
                    f"{generator} makes {GENERATORS[generator].task} data, not {task}",
                )
        else:
            importer = r.choice(source, f"{key}.source", "importer", tuple(IMPORTERS))
            importer_task, allowed = IMPORTERS[importer].task, set(IMPORTERS[importer].options)
            if importer_task != task:
                r.problem(f"{key}.source.importer", f"{importer} makes {importer_task} data")
            options = r.mapping(source.get("options", {}), f"{key}.source.options", allowed, set())
        raw_splits = r.list_(data, key, "splits")
        if not raw_splits:
            r.problem(f"{key}.splits", "declare at least one split")
        splits = tuple(
            _split(r, s, f"{key}.splits[{i}]", generator, generated=importer is None)
            for i, s in enumerate(raw_splits)
        )
        visibilities = {s.visibility for s in splits}
        if raw_splits and not {"public", "hidden"} <= visibilities:
            r.problem(f"{key}.splits", "needs a public split (val) and at least one hidden split")
        names = [s.name for s in splits]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            r.problem(f"{key}.splits", f"split name {dup!r} is used twice")
    baselines = []
    for i, raw_b in enumerate(r.list_(data, key, "baselines")):
        b = r.mapping(raw_b, f"{key}.baselines[{i}]", {"image", "method"}, {"image", "method"})
        baselines.append(
            BaselineDef(
                image=r.slug(b, f"{key}.baselines[{i}]", "image", 80),
                method=r.str_(b, f"{key}.baselines[{i}]", "method"),
            )
        )
    return TrackDef(
        slug=r.slug(data, key, "slug", 80),
        name=r.str_(data, key, "name"),
        task=task,
        primary_metric=primary,
        resource_class=r.choice(data, key, "resource_class", RESOURCE_CLASSES, "cpu"),
        timeout_seconds=r.int_(limits, f"{key}.limits", "timeout_seconds", 600, 10),
        memory_mb=r.int_(limits, f"{key}.limits", "memory_mb", 2048, 64),
        cpus=float(cpus),
        description=r.str_(data, key, "description", "").strip(),
        generator=generator,
        importer=importer,
        importer_options=dict(options),
        splits=splits,
        robustness=robustness,
        baselines=tuple(baselines),
        entry_rule=r.choice(data, key, "entry_rule", ENTRY_RULES, "best"),
    )


def _disclosure(
    r: _Reader, raw: Any, key: str, starts: dt.datetime | None, ends: dt.datetime | None
) -> DisclosureDef:
    data = r.mapping(raw, key, {"publish", "schedule", "public_fraction", "public_seed"}, set())
    publish = r.choice(data, key, "publish", PUBLISH_MODES, "organizer")
    if publish == "at_end" and ends is None:
        r.problem(f"{key}.publish", "at_end needs the phase to declare 'ends'")
    schedule: list[dt.datetime] = []
    for i, value in enumerate(r.list_(data, key, "schedule")):
        moment = r.when({f"schedule[{i}]": value}, key, f"schedule[{i}]", required=True)
        if moment is None:
            continue
        if (starts and moment <= starts) or (ends and moment > ends):
            r.problem(f"{key}.schedule[{i}]", "must fall inside the phase (after starts, by ends)")
        schedule.append(moment)
    if schedule != sorted(schedule) or len(set(schedule)) != len(schedule):
        r.problem(f"{key}.schedule", "moments must be distinct and in order")
    fraction = data.get("public_fraction")
    if fraction is not None and (
        isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1
    ):
        r.problem(f"{key}.public_fraction", f"must be a number in (0, 1), got {fraction!r}")
        fraction = None
    return DisclosureDef(
        publish=publish,
        schedule=tuple(schedule),
        public_fraction=None if fraction is None else float(fraction),
        public_seed=r.int_(data, key, "public_seed", 0, 0),
    )


def _phase(r: _Reader, raw: Any, key: str) -> PhaseDef:
    data = r.mapping(
        raw,
        key,
        {"slug", "name", "starts", "ends", "final_picks", "one_team_per_person", "disclosure"},
        {"slug", "name", "starts"},
    )
    starts = r.when(data, key, "starts", required=True)
    ends = r.when(data, key, "ends", required=False)
    if starts and ends and ends <= starts:
        r.problem(f"{key}.ends", "must be after starts")
    return PhaseDef(
        slug=r.slug(data, key),
        name=r.str_(data, key, "name"),
        starts=starts or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        ends=ends,
        final_picks=r.int_(data, key, "final_picks", 2, 0),
        one_team_per_person=r.bool_(data, key, "one_team_per_person", True),
        disclosure=_disclosure(r, data.get("disclosure", {}), f"{key}.disclosure", starts, ends),
    )


BENCHMARK_KEYS = {"slug", "name", "description", "synthetic", "tracks", "phases", "terms"}


def _terms(r: _Reader, raw: Any, key: str) -> TermsDef | None:
    if raw is None:
        return None
    data = r.mapping(raw, key, {"version", "text"}, {"version", "text"})
    version = str(data.get("version", "")).strip()
    if not version or len(version) > 40:
        r.problem(f"{key}.version", "must be a short label such as '1' or '2026-01' (40 chars)")
    text = r.str_(data, key, "text", "").strip()
    if not text:
        r.problem(f"{key}.text", "the terms need a text")
    return TermsDef(version=version, text=text)


def _benchmark(r: _Reader, raw: Any, key: str) -> BenchmarkDef:
    data = r.mapping(raw, key, BENCHMARK_KEYS, {"slug", "name", "tracks"})
    synthetic = data.get("synthetic", False)
    if not isinstance(synthetic, bool):
        r.problem(f"{key}.synthetic", f"must be true or false, got {synthetic!r}")
        synthetic = False
    tracks = tuple(
        _track(r, t, f"{key}.tracks[{i}]") for i, t in enumerate(r.list_(data, key, "tracks"))
    )
    if not tracks:
        r.problem(f"{key}.tracks", "declare at least one track")
    slugs = [t.slug for t in tracks]
    for dup in sorted({s for s in slugs if slugs.count(s) > 1}):
        r.problem(f"{key}.tracks", f"track slug {dup!r} is used twice")
    for i, t in enumerate(tracks):
        if t.robustness is None:
            continue
        where = f"{key}.tracks[{i}].robustness.of"
        source = next((s for s in tracks if s.slug == t.robustness.track), None)
        if source is None or source.robustness is not None:
            r.problem(where, f"{t.robustness.track!r} is not a plain track of this benchmark")
        elif t.robustness.split not in {s.name for s in source.splits}:
            r.problem(where, f"track {source.slug!r} has no split {t.robustness.split!r}")
        elif source.task != t.task:
            r.problem(where, f"source track's task is {source.task}, this track's is {t.task}")
    phases = tuple(
        _phase(r, p, f"{key}.phases[{i}]") for i, p in enumerate(r.list_(data, key, "phases"))
    )
    return BenchmarkDef(
        slug=r.slug(data, key, "slug", 80),
        name=r.str_(data, key, "name"),
        description=r.str_(data, key, "description", "").strip(),
        synthetic=synthetic,
        file=r.file,
        tracks=tracks,
        phases=phases,
        terms=_terms(r, data.get("terms"), f"{key}.terms"),
    )


def parse_definition(text: str, file: str) -> list[BenchmarkDef]:
    """Parse one YAML document; raise :class:`DefinitionError` listing every problem."""
    problems: list[str] = []
    r = _Reader(file, problems)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "YAML"
        raise DefinitionError([f"{file}: {where}: not valid YAML: {exc}"]) from None
    # Top-level keys starting with "x-" hold YAML anchors shared by several tracks.
    extensions = (
        {k for k in doc if isinstance(k, str) and k.startswith("x-")}
        if isinstance(doc, dict)
        else set()
    )
    data = r.mapping(doc, "<top>", {"benchmarks"} | extensions, {"benchmarks"})
    benchmarks = [
        _benchmark(r, b, f"benchmarks[{i}]")
        for i, b in enumerate(r.list_(data, "<top>", "benchmarks"))
    ]
    if problems:
        raise DefinitionError(problems)
    return benchmarks


def load_definitions(
    paths: list[Path] | None = None, *, overrides: list[Path] | None = None
) -> list[BenchmarkDef]:
    """All definitions (default: every *.yaml under benchmarks/definitions), checked together.

    ``overrides``: definition files applied from the organizer console (one benchmark each,
    labelled ``console/<name>``); a benchmark one of them declares replaces the one of the
    same slug in ``paths``. Every problem of every file is reported at once.
    """
    files = sorted(paths) if paths is not None else sorted(DEFINITIONS_DIR.glob("*.yaml"))
    problems: list[str] = []
    found = _read_files(files, "", problems)
    console = _read_files(sorted(overrides or []), CONSOLE_LABEL, problems)
    for group in (found, console):
        first_file: dict[str, str] = {}
        for b in group:
            if b.slug in first_file:
                problems.append(
                    f"{b.file}: benchmark {b.slug!r} is already defined in {first_file[b.slug]}"
                )
            first_file.setdefault(b.slug, b.file)
    if problems:
        raise DefinitionError(problems)
    replaced = {b.slug for b in console}
    return [b for b in found if b.slug not in replaced] + console


# How a definition file applied from the organizer console is named in problems and records.
CONSOLE_LABEL = "console/"


def _read_files(files: list[Path], label: str, problems: list[str]) -> list[BenchmarkDef]:
    found: list[BenchmarkDef] = []
    for path in files:
        name = label + Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8")
            found.extend(parse_definition(text, name))
        except DefinitionError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(f"{name}: cannot be read: {exc.strerror}")
    return found
