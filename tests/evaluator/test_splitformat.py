"""The split format's one home: writers are byte-reproducible and nothing else redefines it."""

import ast
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import evaluator
from evaluator import splitformat

ROOT = Path(__file__).resolve().parents[2]
# Where split files are written or read by the platform, the scorer and the CLI.
SOURCES = ["evaluator", "benchmarks", "submissions", "platform", "forgerybench_cli", "runagent"]
FILE_NAMES = {
    splitformat.TASK_FILE,
    splitformat.MANIFEST_FILE,
    splitformat.TRUTH_FILE,
    splitformat.PROVENANCE_FILE,
    splitformat.PREDICTIONS_FILE,
}
OWNED_NAMES = {"PROTOCOL", "PROTOCOL_VERSION", "ID_HEX", "PREDICTIONS_FILE", "OUTPUTS"}


def _modules() -> list[Path]:
    found = []
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts and path != ROOT / "evaluator" / "splitformat.py":
                found.append(path)
    return found


def test_the_protocol_version_is_the_packages() -> None:
    assert evaluator.PROTOCOL_VERSION is splitformat.PROTOCOL_VERSION


def test_no_module_restates_a_file_name_or_a_constant_of_the_format() -> None:
    problems = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in FILE_NAMES:
                problems.append(f"{where}:{node.lineno}: literal {node.value!r}")
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in OWNED_NAMES:
                        problems.append(f"{where}:{node.lineno}: defines {target.id}")
            if isinstance(node, ast.FunctionDef) and node.name in {"save_png", "file_sha256"}:
                problems.append(f"{where}:{node.lineno}: defines {node.name}()")
    assert problems == []


def test_task_file_round_trips_with_the_protocol_and_output_name(tmp_path: Path) -> None:
    splitformat.write_task(tmp_path, splitformat.task_body("detection", "t1"))
    task = splitformat.read_task(tmp_path)
    assert task == {
        "protocol": splitformat.PROTOCOL_VERSION,
        "task": "detection",
        "track": "t1",
        "outputs": "predictions.jsonl",
    }
    assert (tmp_path / "task.json").read_text(encoding="utf-8").endswith("}\n")


def test_json_lines_are_ascii_in_order_and_read_back(tmp_path: Path) -> None:
    rows = [{"id": "b", "label": 1, "note": "é"}, {"id": "a", "label": 0}]
    text = splitformat.write_jsonl(tmp_path / "x.jsonl", rows)
    assert text == '{"id": "b", "label": 1, "note": "\\u00e9"}\n{"id": "a", "label": 0}\n'
    (tmp_path / "x.jsonl").write_text(text + "\n\n", encoding="utf-8")
    assert splitformat.read_jsonl(tmp_path / "x.jsonl") == rows


def test_png_writes_are_reproducible_and_lossless(tmp_path: Path) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, size=(17, 23, 3), dtype=np.uint8)
    splitformat.save_png(pixels, tmp_path / "a.png")
    splitformat.save_png(pixels, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    with Image.open(tmp_path / "a.png") as img:
        assert np.array_equal(np.asarray(img), pixels)
    mask = np.zeros((5, 4), dtype=bool)
    mask[1:3, 2] = True
    splitformat.save_mask(mask, tmp_path / "m.png")
    with Image.open(tmp_path / "m.png") as img:
        assert img.mode == "L"
        assert np.array_equal(np.asarray(img), np.where(mask, 255, 0))


def test_file_sha256_reads_in_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # more than one 1 MiB chunk
    (tmp_path / "f").write_bytes(data)
    assert splitformat.file_sha256(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_a_split_is_written_into_fresh_folders_only(tmp_path: Path) -> None:
    splitformat.require_fresh(tmp_path / "missing", tmp_path)
    (tmp_path / "x").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        splitformat.require_fresh(tmp_path)
