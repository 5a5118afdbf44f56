"""Every top-level package of the project is packaged, known to ruff as first-party and a root
package of each import-linter file: a new app (or a renamed one) cannot be left out of any.

The packages are read from the tree: each folder with an ``__init__.py`` directly under a source
root (the repository root and ``platform/``, the roots pytest and setuptools both use)."""

import configparser
import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
IMPORTLINTER_FILES = (".importlinter",)
# Imported by name but not a shipped package: the tests' own helpers (``tests.support``).
FIRST_PARTY_EXTRA = {"tests"}


def _source_roots() -> list[str]:
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    on_path = PYPROJECT["tool"]["pytest"]["ini_options"]["pythonpath"]
    assert sorted(find["where"]) == sorted(on_path), "setuptools and pytest disagree on the roots"
    return list(find["where"])


def packages_in_tree() -> set[str]:
    found: set[str] = set()
    for source_root in _source_roots():
        for init in (ROOT / source_root).glob("*/__init__.py"):
            found.add(init.parent.name)
    return found


PACKAGES = packages_in_tree()


def test_the_tree_holds_the_known_apps() -> None:
    # A floor, so a broken reading of the tree cannot make the checks below pass vacuously.
    assert {"evaluator", "runagent", "submissions", "benchmarks", "accounts", "console"} <= PACKAGES


def test_pyproject_packages_every_package_and_nothing_else() -> None:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    missing = sorted(p for p in PACKAGES if not any(fnmatch.fnmatch(p, i) for i in include))
    assert not missing, f"add to [tool.setuptools.packages.find] include: {missing}"
    stale = sorted(i for i in include if not any(fnmatch.fnmatch(p, i) for p in PACKAGES))
    assert not stale, f"no such package any more: {stale}"


def test_ruff_knows_every_package_as_first_party() -> None:
    known = set(PYPROJECT["tool"]["ruff"]["lint"]["isort"]["known-first-party"])
    wanted = PACKAGES | FIRST_PARTY_EXTRA
    assert not wanted - known, f"add to ruff's known-first-party: {sorted(wanted - known)}"
    assert not known - wanted, f"no such package any more: {sorted(known - wanted)}"


def test_every_import_linter_file_roots_every_package() -> None:
    checked = 0
    for name in IMPORTLINTER_FILES:
        path = ROOT / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(path.read_text(), source=name)
        roots = {line.strip() for line in parser["importlinter"]["root_packages"].splitlines()}
        roots.discard("")
        assert not PACKAGES - roots, f"{name}: add to root_packages: {sorted(PACKAGES - roots)}"
        assert not roots - PACKAGES, f"{name}: no such package any more: {sorted(roots - PACKAGES)}"
        checked += 1
    assert checked, f"none of {IMPORTLINTER_FILES} found"
