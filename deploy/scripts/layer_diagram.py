"""Draw the import-linter layers contract as the text diagram that opens docs/architecture.md.

The contract is the truth; the diagram is written from it, between two marker comments of the
doc, so the two cannot disagree. `make layers-doc` rewrites the block; `--check` (run by
tests/deploy/test_layer_diagram.py) exits 1 and shows the difference when the doc's block is not
what the contract draws.

Which contract: every ``type = layers`` contract of the import-linter files at the repository
root (``.importlinter``); a contract kept twice is drawn once.
The Django-free core is read from the contracts too: a layer is marked when each of its packages
is a source of a ``forbidden`` contract that forbids ``django``.

    python deploy/scripts/layer_diagram.py            # rewrite the doc's block
    python deploy/scripts/layer_diagram.py --check    # exit 1 if the block is stale
"""

from __future__ import annotations

import argparse
import configparser
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILES = (".importlinter",)
DOC = Path("docs/architecture.md")
BEGIN = "<!-- layer-diagram: begin (written by `make layers-doc` from the layers contract) -->"
END = "<!-- layer-diagram: end -->"
CONTRACT_PREFIX = "importlinter:contract:"


class LayerDiagramError(Exception):
    """A contract or doc the diagram cannot be drawn from or into; the message says why."""


@dataclass(frozen=True)
class Layer:
    text: str  # the layer as the contract writes it: "a : b" or "a | b"
    packages: tuple[str, ...]


@dataclass(frozen=True)
class LayersContract:
    source: str  # "<file> [<section>]"
    name: str
    layers: tuple[Layer, ...]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _layer(text: str) -> Layer:
    """One line of ``layers``: packages joined by ``:`` (may import each other) or ``|`` (must
    not); an optional layer is written in parentheses."""
    if ":" in text and "|" in text:
        raise LayerDiagramError(f"layer {text!r} mixes ':' and '|'; import-linter allows one")
    separator = "|" if "|" in text else ":"
    packages = tuple(part.strip().strip("()").strip() for part in text.split(separator))
    if not all(packages):
        raise LayerDiagramError(f"layer {text!r} has an empty package name")
    return Layer(text=f" {separator} ".join(packages), packages=packages)


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except configparser.Error as exc:
        raise LayerDiagramError(f"{path.name}: not a readable import-linter file: {exc}") from exc
    return parser


def contracts_read(root: Path) -> tuple[list[LayersContract], set[str]]:
    """The layers contracts of the root's import-linter files (each distinct one once), and the
    packages a forbidden contract keeps free of Django."""
    contracts: list[LayersContract] = []
    django_free: set[str] = set()
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        parser = _read(path)
        for section in parser.sections():
            if not section.startswith(CONTRACT_PREFIX):
                continue
            contract = parser[section]
            kind = contract.get("type", "").strip()
            if kind == "forbidden" and "django" in _lines(contract.get("forbidden_modules", "")):
                django_free.update(_lines(contract.get("source_modules", "")))
            if kind != "layers":
                continue
            layers = tuple(_layer(line) for line in _lines(contract.get("layers", "")))
            if not layers:
                raise LayerDiagramError(f"{name} [{section}]: a layers contract with no layers")
            found = LayersContract(
                source=f"{name} [{section}]",
                name=contract.get("name", section.removeprefix(CONTRACT_PREFIX)).strip(),
                layers=layers,
            )
            if all(other.layers != found.layers for other in contracts):
                contracts.append(found)
    if not contracts:
        raise LayerDiagramError(
            f"no `type = layers` contract in {' or '.join(CONFIG_FILES)} under {root}"
        )
    return contracts, django_free


def render(contracts: list[LayersContract], django_free: set[str]) -> str:
    """The fenced diagram: top layer first, one box row per layer, a double rule above the
    first layer of the Django-free core."""
    out: list[str] = []
    for contract in contracts:
        width = max(len(layer.text) for layer in contract.layers) + 2
        core = [all(p in django_free for p in layer.packages) for layer in contract.layers]
        if out:
            out.append("")
        out.append(contract.name)
        out.append(f"(contract: {contract.source})")
        out.append("")
        out.append("┌" + "─" * width + "┐")
        for index, layer in enumerate(contract.layers):
            if index:
                if core[index] and not core[index - 1]:
                    out.append("╞" + "═" * width + "╡ Django-free core")
                else:
                    out.append("├" + "─" * width + "┤")
            out.append(f"│ {layer.text.ljust(width - 2)} │")
        out.append("└" + "─" * width + "┘")
    out.append("")
    out.append("Each layer imports only from the layers below it. `a : b`: one layer whose")
    out.append("packages may import each other; `a | b`: one layer whose packages must not.")
    out.append("Django-free core: each package is a source of a contract that forbids Django.")
    return "```\n" + "\n".join(out) + "\n```\n"


def block_replace(doc: str, block: str) -> str:
    """The doc with the text between the markers replaced by ``block``."""
    pattern = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.DOTALL)
    if len(pattern.findall(doc)) != 1:
        raise LayerDiagramError(
            f"{DOC}: needs exactly one pair of markers, {BEGIN!r} then {END!r}, "
            "each on its own line"
        )
    return pattern.sub(lambda _: f"{BEGIN}\n{block}{END}", doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc's block is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root")
    args = parser.parse_args(argv)
    root: Path = args.root
    doc_path = root / DOC
    try:
        contracts, django_free = contracts_read(root)
        doc = doc_path.read_text(encoding="utf-8")
        wanted = block_replace(doc, render(contracts, django_free))
    except (LayerDiagramError, OSError) as exc:
        print(f"layer_diagram: {exc}", file=sys.stderr)
        return 2
    if wanted == doc:
        return 0
    if args.check:
        diff = difflib.unified_diff(
            doc.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{DOC} (now)",
            tofile=f"{DOC} (drawn from the contract)",
        )
        sys.stderr.write("".join(diff))
        print(
            f"layer_diagram: {DOC}'s layer diagram differs from the layers contract; "
            "run `make layers-doc`",
            file=sys.stderr,
        )
        return 1
    doc_path.write_text(wanted, encoding="utf-8")
    print(f"layer_diagram: rewrote the layer diagram in {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
