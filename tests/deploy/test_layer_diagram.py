"""docs/architecture.md opens with the layer diagram drawn from the layers contract
(deploy/scripts/layer_diagram.py, `make layers-doc`): the two cannot disagree."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "scripts" / "layer_diagram.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layer_diagram", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


layer_diagram = _script()

DOC = """# Architecture

{begin}
stale
{end}

The rest of the doc.
"""

FORBIDDEN = """
[importlinter:contract:core-no-django]
name = The core imports no Django
type = forbidden
source_modules =
    engine
    agent
forbidden_modules =
    django
"""


def _root(tmp_path: Path, contract: str, name: str = ".importlinter") -> Path:
    (tmp_path / "docs").mkdir()
    begin, end = layer_diagram.BEGIN, layer_diagram.END
    (tmp_path / "docs" / "architecture.md").write_text(DOC.format(begin=begin, end=end))
    (tmp_path / name).write_text(contract)
    return tmp_path


def _layers(*lines: str) -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return f"[importlinter:contract:layers]\nname = The house\ntype = layers\nlayers =\n{body}"


def _block(root: Path) -> str:
    doc = (root / "docs" / "architecture.md").read_text()
    return doc.split(layer_diagram.BEGIN)[1].split(layer_diagram.END)[0]


def test_the_doc_opens_with_the_diagram_the_contract_draws() -> None:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert completed.returncode == 0, completed.stderr
    doc = (ROOT / "docs" / "architecture.md").read_text()
    first_section = doc.index("\n## ")
    assert doc.index(layer_diagram.BEGIN) < first_section


def test_top_layer_first_siblings_side_by_side_and_the_core_marked(tmp_path: Path) -> None:
    root = _root(tmp_path, _layers("pages : api", "review", "shop | stock", "agent", "engine"))
    (root / ".importlinter").write_text((root / ".importlinter").read_text() + FORBIDDEN)
    assert layer_diagram.main(["--root", str(root)]) == 0
    lines = _block(root).splitlines()
    rows = [line.strip("│ ") for line in lines if line.startswith("│")]
    assert rows == ["pages : api", "review", "shop | stock", "agent", "engine"]
    rule = next(line for line in lines if line.startswith("╞"))
    assert rule.endswith("Django-free core")
    assert lines.index(rule) == lines.index("│ agent        │") - 1
    assert "(contract: .importlinter [importlinter:contract:layers])" in _block(root)
    assert "The rest of the doc." in (root / "docs" / "architecture.md").read_text()


def test_a_changed_contract_fails_the_check_until_layers_doc_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path
    (root / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "architecture.md", root / "docs" / "architecture.md")
    for name in layer_diagram.CONFIG_FILES:
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, root / name)
    assert layer_diagram.main(["--check", "--root", str(root)]) == 0

    contract_file = next(
        root / name
        for name in layer_diagram.CONFIG_FILES
        if (root / name).is_file() and "type = layers" in (root / name).read_text()
    )
    text = contract_file.read_text()
    top = text.split("layers =\n", 1)[1].splitlines()[0]
    contract_file.write_text(text.replace(top, f"    moderation\n{top}", 1))

    assert layer_diagram.main(["--check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "run `make layers-doc`" in err
    assert "+│ moderation" in err
    assert layer_diagram.main(["--root", str(root)]) == 0
    assert "│ moderation" in _block(root)
    assert layer_diagram.main(["--check", "--root", str(root)]) == 0


def test_no_layers_contract_is_a_named_error_and_the_doc_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _root(tmp_path, FORBIDDEN)
    before = (root / "docs" / "architecture.md").read_text()
    assert layer_diagram.main(["--root", str(root)]) == 2
    assert "no `type = layers` contract" in capsys.readouterr().err
    assert (root / "docs" / "architecture.md").read_text() == before


def test_a_doc_without_its_markers_is_a_named_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _root(tmp_path, _layers("pages", "engine"))
    (root / "docs" / "architecture.md").write_text("# Architecture\n")
    assert layer_diagram.main(["--root", str(root)]) == 2
    assert "exactly one pair of markers" in capsys.readouterr().err


def test_a_layer_mixing_both_separators_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _root(tmp_path, _layers("pages : api | admin", "engine"))
    assert layer_diagram.main(["--root", str(root)]) == 2
    assert "mixes ':' and '|'" in capsys.readouterr().err
