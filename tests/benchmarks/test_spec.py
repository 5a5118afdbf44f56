"""Definition files: the shipped ones load; bad ones name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.spec import DefinitionError, load_definitions, parse_definition

GOOD = """
benchmarks:
  - slug: tiny
    name: Tiny
    tracks:
      - slug: image
        name: Image
        task: detection
        source: {generator: smoke-detect}
        splits:
          - {name: val, visibility: public, count: 10, seed: 1}
          - {name: test, visibility: hidden, count: 10, seed: 2}
"""


def test_shipped_definitions_cover_the_seed_and_the_smoke_sets() -> None:
    defs = {b.slug: b for b in load_definitions()}
    expected = {
        "ffpp", "celebdf-v2", "srdf", "coco-fake", "pir", "casia1", "coverage", "nist16",
        "columbia", "davis-inpainting", "smoke-detect", "smoke-localize", "smoke-retrieve",
        "smoke-videoinpaint",
    }  # fmt: skip
    assert expected <= set(defs)
    ffpp = {t.slug: t for t in defs["ffpp"].tracks}
    for comp in ("raw", "c23", "c40"):
        for manip in ("all", "df", "f2f", "fs", "nt", "fsh"):
            assert ffpp[f"{comp}-{manip}"].importer_options["compression"] == comp
    assert ffpp["c23-df"].importer_options["manipulations"] == ["Deepfakes"]
    video_robustness = ffpp["c23-all-video-robustness"].robustness
    assert video_robustness is not None
    assert video_robustness.perturbations == {"h264": (23, 30, 40)}
    assert {t.slug for t in defs["davis-inpainting"].tracks} == {"vi", "op", "cp"}
    for slug in ("smoke-detect", "smoke-localize", "smoke-retrieve", "smoke-videoinpaint"):
        assert defs[slug].synthetic
        assert all(t.baselines for t in defs[slug].tracks)
    robust = defs["smoke-detect"].track("image-robustness").robustness
    assert robust is not None
    assert set(robust.perturbations) == {"jpeg", "noise", "blur", "resize"}
    for b in defs.values():
        for t in b.tracks:
            if t.robustness is None:
                assert (
                    {"public", "hidden"}
                    <= {s.visibility for s in t.splits}
                    <= {
                        "public",
                        "hidden",
                        "ood",
                    }
                )
    image = defs["smoke-detect"].track("image")
    (ood,) = [s for s in image.splits if s.visibility == "ood"]
    assert ood.variant == "shifted"


def test_every_problem_is_reported_with_file_and_key() -> None:
    bad = GOOD.replace("task: detection", "task: detection\n        primary_metric: pixel_f1")
    bad = bad.replace("visibility: hidden, count: 10", "visibility: secret, count: -3")
    bad = bad.replace("name: Image\n", "name: Image\n        colour: red\n")
    with pytest.raises(DefinitionError) as caught:
        parse_definition(bad, "tiny.yaml")
    problems = caught.value.problems
    text = "\n".join(problems)
    assert "tiny.yaml: benchmarks[0].tracks[0].primary_metric: 'pixel_f1' is not one of" in text
    assert "tiny.yaml: benchmarks[0].tracks[0].splits[1].visibility: 'secret'" in text
    assert "tiny.yaml: benchmarks[0].tracks[0].splits[1].count: must be an integer >= 2" in text
    assert "tiny.yaml: benchmarks[0].tracks[0].colour: unknown key" in text
    assert len(problems) >= 4


def test_structural_rules() -> None:
    one_split = GOOD.replace(
        "          - {name: test, visibility: hidden, count: 10, seed: 2}\n", ""
    )
    with pytest.raises(DefinitionError, match="needs a public split"):
        parse_definition(one_split, "a.yaml")
    wrong_task = GOOD.replace("task: detection", "task: retrieval")
    with pytest.raises(DefinitionError, match="smoke-detect makes detection data, not retrieval"):
        parse_definition(wrong_task, "b.yaml")
    robust = (
        GOOD
        + """      - slug: robust
        name: Robust
        task: detection
        robustness:
          of: {track: image, split: nope}
          seed: 1
          perturbations: {jpeg: [90, 42], blur: [1]}
"""
    )
    with pytest.raises(DefinitionError) as caught:
        parse_definition(robust, "c.yaml")
    text = str(caught.value)
    assert "c.yaml: benchmarks[0].tracks[1].robustness.perturbations.jpeg: levels [42]" in text
    assert "track 'image' has no split 'nope'" in text
    with pytest.raises(DefinitionError, match=r"d.yaml: line \d+: not valid YAML"):
        parse_definition("benchmarks: [\n", "d.yaml")
    phase = GOOD.replace(
        "    tracks:",
        "    phases:\n      - {slug: p, name: P, starts: 2026-02-01, ends: 2026-01-01}\n"
        "    tracks:",
    )
    with pytest.raises(DefinitionError, match=r"phases\[0\].ends: must be after starts"):
        parse_definition(phase, "e.yaml")


def test_a_benchmark_defined_twice_is_refused(tmp_path: Path) -> None:
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(GOOD)
    with pytest.raises(
        DefinitionError, match=r"two\.yaml: benchmark 'tiny' is already defined in one.yaml"
    ):
        load_definitions(sorted(tmp_path.glob("*.yaml")))


def test_entry_rule_and_the_ood_tier_are_declared_per_track() -> None:
    text = GOOD.replace(
        "        task: detection\n", "        task: detection\n        entry_rule: last\n"
    ).replace(
        "          - {name: test, visibility: hidden, count: 10, seed: 2}\n",
        "          - {name: test, visibility: hidden, count: 10, seed: 2}\n"
        "          - {name: ood, visibility: ood, count: 10, seed: 3, variant: shifted}\n",
    )
    (bench,) = parse_definition(text, "tiny.yaml")
    track = bench.track("image")
    assert track.entry_rule == "last"
    assert [(s.name, s.visibility, s.variant) for s in track.splits][-1] == (
        "ood",
        "ood",
        "shifted",
    )
    assert parse_definition(GOOD, "tiny.yaml")[0].track("image").entry_rule == "best"


def test_bad_entry_rule_variant_and_an_ood_tier_alone_are_named() -> None:
    bad = GOOD.replace(
        "        task: detection\n", "        task: detection\n        entry_rule: first\n"
    ).replace("count: 10, seed: 2}", "count: 10, seed: 2, variant: sideways}")
    with pytest.raises(DefinitionError) as caught:
        parse_definition(bad, "tiny.yaml")
    text = str(caught.value)
    assert "tiny.yaml: benchmarks[0].tracks[0].entry_rule: 'first' is not one of best, last" in text
    assert "tiny.yaml: benchmarks[0].tracks[0].splits[1].variant: 'sideways'" in text
    only_ood = GOOD.replace("visibility: hidden", "visibility: ood")
    with pytest.raises(DefinitionError, match="needs a public split"):
        parse_definition(only_ood, "x.yaml")


PHASED = GOOD.replace(
    "    tracks:\n",
    "    phases:\n"
    "      - slug: open\n"
    "        name: Open\n"
    "        starts: 2026-01-01\n"
    "        ends: 2026-06-30\n"
    "        disclosure: DISCLOSURE\n"
    "    tracks:\n",
    1,
)


def test_a_phase_declares_its_disclosure_policy() -> None:
    text = PHASED.replace(
        "DISCLOSURE",
        "{publish: at_end, schedule: [2026-03-01], public_fraction: 0.3, public_seed: 7}",
    )
    (bench,) = parse_definition(text, "tiny.yaml")
    policy = bench.phases[0].disclosure
    assert policy.publish == "at_end" and policy.public_fraction == 0.3
    assert policy.public_seed == 7
    assert [m.isoformat() for m in policy.schedule] == ["2026-03-01T00:00:00+00:00"]
    default = parse_definition(PHASED.replace("disclosure: DISCLOSURE", "final_picks: 2"), "x")
    assert default[0].phases[0].disclosure.as_record() == {
        "publish": "organizer",
        "schedule": [],
        "public_fraction": None,
        "public_seed": 0,
    }


def test_a_bad_disclosure_policy_is_named_key_by_key() -> None:
    text = PHASED.replace(
        "DISCLOSURE",
        "{publish: live, schedule: [2027-01-01, nope], public_fraction: 1.5, peek: true}",
    )
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "tiny.yaml")
    problems = "\n".join(caught.value.problems)
    where = "tiny.yaml: benchmarks[0].phases[0].disclosure"
    assert f"{where}.peek: unknown key" in problems
    assert f"{where}.publish: 'live' is not one of organizer, at_end" in problems
    assert f"{where}.schedule[0]: must fall inside the phase" in problems
    assert f"{where}.schedule[1]: must be a date" in problems
    assert f"{where}.public_fraction: must be a number in (0, 1), got 1.5" in problems
    no_end = PHASED.replace("        ends: 2026-06-30\n", "").replace(
        "DISCLOSURE", "{publish: at_end}"
    )
    with pytest.raises(DefinitionError, match=r"at_end needs the phase to declare 'ends'"):
        parse_definition(no_end, "tiny.yaml")


def test_a_console_definition_replaces_the_shipped_one_of_its_slug(tmp_path: Path) -> None:
    shipped, console = tmp_path / "shipped", tmp_path / "console"
    shipped.mkdir()
    console.mkdir()
    (shipped / "one.yaml").write_text(GOOD)
    (shipped / "other.yaml").write_text(GOOD.replace("slug: tiny", "slug: other"))
    (console / "tiny.yaml").write_text(GOOD.replace("name: Tiny", "name: Tiny, edited"))
    defs = load_definitions(sorted(shipped.glob("*.yaml")), overrides=[console / "tiny.yaml"])
    by_slug = {b.slug: b for b in defs}
    assert by_slug["tiny"].name == "Tiny, edited" and by_slug["tiny"].file == "console/tiny.yaml"
    assert by_slug["other"].file == "other.yaml"
    # Two console files of one slug, and every problem of a broken one, are refused together.
    (console / "again.yaml").write_text(GOOD)
    (console / "broken.yaml").write_text(GOOD.replace("task: detection", "task: cooking"))
    with pytest.raises(DefinitionError) as caught:
        load_definitions([shipped / "one.yaml"], overrides=sorted(console.glob("*.yaml")))
    text = str(caught.value)
    assert "console/tiny.yaml: benchmark 'tiny' is already defined in console/again.yaml" in text
    assert "console/broken.yaml: benchmarks[0].tracks[0].task: 'cooking'" in text
