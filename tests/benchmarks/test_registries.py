"""Each registry is defined once and the definition checker accepts exactly what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.importers import IMPORTERS
from benchmarks.perturb import CLEAN, PERTURBATIONS, PerturbError, level_slug, perturb_split
from benchmarks.smoke.generators import GENERATORS
from benchmarks.spec import DefinitionError, parse_definition


def _track(task: str, source: str, splits: str) -> str:
    return f"""
benchmarks:
  - slug: reg
    name: Registry
    tracks:
      - slug: t
        name: T
        task: {task}
        source: {source}
        splits: {splits}
"""


GENERATED = (
    "[{name: val, visibility: public, count: 10, seed: 1},"
    " {name: test, visibility: hidden, count: 10, seed: 2}]"
)
IMPORTED = "[{name: val, visibility: public, from: val}, {name: test, visibility: hidden, from: t}]"


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_registered_generator_is_accepted_for_its_task(name: str) -> None:
    generator = GENERATORS[name]
    [bdef] = parse_definition(_track(generator.task, f"{{generator: {name}}}", GENERATED), "g")
    assert bdef.tracks[0].generator == name
    for variant in generator.variants:
        splits = f"[{{name: ood, visibility: ood, count: 10, seed: 3, variant: {variant}}}]"
        splits = splits[:-1] + ", " + GENERATED[1:]
        [bdef] = parse_definition(_track(generator.task, f"{{generator: {name}}}", splits), "g")
        assert bdef.tracks[0].splits[0].variant == variant


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_every_registered_importer_is_accepted_with_each_of_its_options(name: str) -> None:
    importer = IMPORTERS[name]
    options = ", ".join(f"{option}: x" for option in sorted(importer.options))
    source = f"{{importer: {name}, options: {{{options}}}}}"
    [bdef] = parse_definition(_track(importer.task, source, IMPORTED), "i")
    assert bdef.tracks[0].importer == name
    assert set(bdef.tracks[0].importer_options) == importer.options
    unknown = f"{{importer: {name}, options: {{not_an_option: 1}}}}"
    with pytest.raises(DefinitionError, match="not_an_option"):
        parse_definition(_track(importer.task, unknown, IMPORTED), "i")


def test_names_outside_the_registries_are_refused_listing_the_registered_ones() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(_track("detection", "{generator: smoke-nope}", GENERATED), "g")
    assert all(name in str(caught.value) for name in GENERATORS)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(_track("detection", "{importer: nope}", IMPORTED), "i")
    assert all(name in str(caught.value) for name in IMPORTERS)


def test_every_registered_perturbation_level_is_accepted_and_named() -> None:
    levels = "\n".join(
        f"            {kind}: [{', '.join(f'{v:g}' for v in values)}]"
        for kind, values in PERTURBATIONS.items()
    )
    text = f"""
benchmarks:
  - slug: reg
    name: Registry
    tracks:
      - slug: t
        name: T
        task: detection
        source: {{generator: smoke-detect}}
        splits: {GENERATED}
      - slug: r
        name: R
        task: detection
        robustness:
          of: {{track: t, split: val}}
          seed: 1
          perturbations:
{levels}
"""
    [bdef] = parse_definition(text, "p")
    robustness = bdef.track("r").robustness
    assert robustness is not None
    assert robustness.perturbations == {k: tuple(map(float, v)) for k, v in PERTURBATIONS.items()}
    slugs = {level_slug(kind, v) for kind, values in PERTURBATIONS.items() for v in values}
    assert len(slugs) == sum(len(v) for v in PERTURBATIONS.values())
    assert CLEAN not in PERTURBATIONS


def test_perturb_split_refuses_a_kind_outside_the_registry(tmp_path: Path) -> None:
    with pytest.raises(PerturbError, match="expected one of none, jpeg"):
        perturb_split(
            task="detection",
            inputs_dir=tmp_path,
            labels_path=tmp_path / "truth.jsonl",
            out_inputs=tmp_path / "o",
            out_labels=tmp_path / "l",
            kind="sharpen",
            level=1.0,
            seed=1,
            track="t",
        )
