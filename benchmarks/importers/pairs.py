"""Image/mask localization sets: CASIA v1, COVERAGE, NIST16 (NC2016), Columbia.

Images and masks are paired by name — each dataset's own naming rule — never by sort order.
Every tampered image without its mask, every mask without its image, and every mask whose size
differs from its image is reported. ``from`` is ``all`` or a list file (relative to the root,
one image file name or stem a line) naming the images of the split.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .base import Entry, Problems, SplitSpec, images_in, read_lines, white_is_manipulated


def _listed(root: Path, split: str, problems: Problems) -> set[str] | None:
    if split == "all":
        return None
    listing = root / split
    if not listing.is_file():
        problems.add(f"split list {listing} is missing (use 'all' or a list file under the root)")
        return set()
    return {Path(line).stem for _, line in read_lines(listing)}


def _pair(
    root: Path,
    split: str,
    problems: Problems,
    tampered: list[Path],
    masks: dict[str, Path],
    mask_name: Callable[[Path], str],
    authentic: list[Path],
) -> list[Entry]:
    """Entries for tampered images (with masks matched by name) and authentic images."""
    wanted = _listed(root, split, problems)
    entries: list[Entry] = []
    used: set[str] = set()
    for image in tampered:
        name = mask_name(image)
        mask = masks.get(name)
        if mask is None:
            problems.add(f"{image.relative_to(root)}: no mask named {name}")
        used.add(name)
        if wanted is not None and image.stem not in wanted:
            continue
        if mask is not None:
            entries.append(
                Entry(key=str(image.relative_to(root)), source=image, label=1, mask=mask)
            )
    for name in sorted(set(masks) - used):
        problems.add(f"{masks[name].relative_to(root)}: mask without an image of that name")
    for image in authentic:
        if wanted is None or image.stem in wanted:
            entries.append(Entry(key=str(image.relative_to(root)), source=image, label=0))
    if wanted is not None:
        found = {Path(e.key).stem for e in entries}
        for name in sorted(wanted - found):
            problems.add(f"split list {split}: {name} is not an image of this copy")
    if not any(e.label == 1 for e in entries):
        problems.add(f"{split}: no manipulated image with a mask; pixel metrics need some")
    return entries


def _authentic(options: dict[str, Any], problems: Problems) -> bool:
    value = options.get("authentic", False)
    if not isinstance(value, bool):
        problems.add(f"option authentic: must be true or false, got {value!r}")
        return False
    return value


def _spec(
    kind: str, split: str, entries: list[Entry], rule=white_is_manipulated, **extra: Any
) -> SplitSpec:
    record = {"importer": kind, "split": split, **extra}
    return SplitSpec(task="localization", track="", entries=entries, record=record, mask_rule=rule)


def plan_casia1(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """Tp/{CM,Sp}/<name>.jpg with '<masks>/{CM,Sp}/<name>_gt.png'; Au/ authentic."""
    masks_root = root / str(options.get("masks", "CASIA 1.0 groundtruth"))
    tampered = [p for sub in ("CM", "Sp") for p in images_in(root / "Tp" / sub)]
    if not tampered:
        problems.add(f"{root / 'Tp'}: no images in Tp/CM or Tp/Sp")
    if not masks_root.is_dir():
        problems.add(f"{masks_root}: missing (the CASIA 1.0 groundtruth folder)")
    masks = {p.name: p for sub in ("CM", "Sp") for p in images_in(masks_root / sub)}
    authentic = images_in(root / "Au") if _authentic(options, problems) else []
    entries = _pair(root, split, problems, tampered, masks, lambda p: f"{p.stem}_gt.png", authentic)
    return _spec("casia1", split, entries, authentic=bool(authentic))


def plan_coverage(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """image/<n>t.tif tampered with mask/<n>forged.tif; image/<n>.tif authentic."""
    images = images_in(root / "image")
    if not images:
        problems.add(f"{root / 'image'}: no images")
    tampered = [p for p in images if p.stem.endswith("t")]
    masks = {p.name: p for p in images_in(root / "mask") if p.stem.endswith("forged")}
    authentic = (
        [p for p in images if not p.stem.endswith("t")] if _authentic(options, problems) else []
    )
    entries = _pair(
        root,
        split,
        problems,
        tampered,
        masks,
        lambda p: f"{p.stem[:-1]}forged{p.suffix}",
        authentic,
    )
    return _spec("coverage", split, entries, authentic=bool(authentic))


def _columbia_green(pixels: np.ndarray) -> np.ndarray:
    # Columbia's edge masks paint the spliced region green and the host region red.
    return (pixels[..., 1] >= 128) & (pixels[..., 0] < 128)


def plan_columbia(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """4cam_splc/<name>.tif with 4cam_splc/edgemask/<name>_edgemask.jpg; 4cam_auth/ authentic."""
    tampered = images_in(root / "4cam_splc")
    if not tampered:
        problems.add(f"{root / '4cam_splc'}: no images")
    masks = {p.name: p for p in images_in(root / "4cam_splc" / "edgemask")}
    authentic = images_in(root / "4cam_auth") if _authentic(options, problems) else []
    entries = _pair(
        root, split, problems, tampered, masks, lambda p: f"{p.stem}_edgemask.jpg", authentic
    )
    return _spec("columbia", split, entries, _columbia_green, authentic=bool(authentic))


def _nist_black(pixels: np.ndarray) -> np.ndarray:
    # NIST reference masks mark the manipulated region black on white.
    return pixels.max(axis=2) < 128


def plan_nist16(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """The manipulation reference CSV ('|'-separated) pairs each probe with its mask."""
    reference = root / str(
        options.get("reference", "reference/manipulation/NC2016-manipulation-ref.csv")
    )
    tampered: list[Path] = []
    authentic: list[Path] = []
    masks: dict[str, Path] = {}
    pairs: dict[str, str] = {}
    if not reference.is_file():
        problems.add(f"{reference}: missing (the NC2016 manipulation reference CSV)")
    else:
        with reference.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="|"))
        needed = {"ProbeFileName", "ProbeMaskFileName", "IsTarget"}
        if rows and not needed <= set(rows[0]):
            problems.add(f"{reference.name}: needs columns {', '.join(sorted(needed))}")
            rows = []
        for number, row in enumerate(rows, 2):
            probe = root / row["ProbeFileName"]
            if not probe.is_file():
                problems.add(f"{reference.name}:{number}: {row['ProbeFileName']} does not exist")
                continue
            if row["IsTarget"] == "Y":
                tampered.append(probe)
                mask_rel = (row.get("ProbeMaskFileName") or "").strip()
                if mask_rel and (root / mask_rel).is_file():
                    masks[mask_rel] = root / mask_rel
                pairs[str(probe)] = mask_rel
            else:
                authentic.append(probe)
    if not _authentic(options | {"authentic": options.get("authentic", False)}, problems):
        authentic = []
    entries = _pair(root, split, problems, tampered, masks, lambda p: pairs[str(p)], authentic)
    return _spec("nist16", split, entries, _nist_black, authentic=bool(authentic))


CASIA2_MASKS = "CASIA 2.0 Groundtruth"


def plan_casia2(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """CASIA v2.0: Tp/<name>.{jpg,tif,bmp} with '<masks>/<name>_gt.png'; Au/ authentic.

    The ground-truth masks were released separately (Pham et al.), and a few of their names do
    not follow the rule (``..._gt3.png``, a mask for an image that is not there). Each such case
    is reported by name: the organizer either renames the files, maps them in the option
    ``mask_renames: {<image file name>: <mask file name>}``, or sets ``unmatched: skip`` to leave
    those tampered images out, listed by name in ``import.json`` (``left_out``).
    """
    masks_root = root / str(options.get("masks", CASIA2_MASKS))
    tampered = images_in(root / "Tp")
    if not tampered:
        problems.add(f"{root / 'Tp'}: no images")
    if not masks_root.is_dir():
        problems.add(f"{masks_root}: missing (the separately released CASIA 2.0 ground truth)")
    masks = {p.name: p for p in images_in(masks_root)}
    renames = options.get("mask_renames", {})
    if not isinstance(renames, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in renames.items()
    ):
        problems.add("option mask_renames: must map image file names to mask file names")
        renames = {}
    unmatched = options.get("unmatched", "error")
    if unmatched not in ("error", "skip"):
        problems.add(f"option unmatched: {unmatched!r} is not error or skip")
        unmatched = "error"
    wanted = _listed(root, split, problems)
    entries: list[Entry] = []
    used: set[str] = set()
    left_out: list[str] = []
    for image in tampered:
        name = renames.get(image.name, f"{image.stem}_gt.png")
        mask = masks.get(name)
        used.add(name)
        if mask is None:
            near = sorted(m for m in masks if m.startswith(f"{image.stem}_gt") and m != name)
            hint = (
                f"; found {', '.join(near)} (rename it or map it in mask_renames)" if near else ""
            )
            if unmatched == "skip":
                left_out.append(image.name)
            else:
                problems.add(f"Tp/{image.name}: no mask named {name}{hint}")
            used.update(near)  # explained by this line, not reported again as orphans
            continue
        if wanted is None or image.stem in wanted:
            entries.append(
                Entry(key=str(image.relative_to(root)), source=image, label=1, mask=mask)
            )
    for name in sorted(set(masks) - used):
        problems.add(f"{masks_root.name}/{name}: mask without an image of that name in Tp/")
    if options.get("authentic", True) is not False:
        for image in images_in(root / "Au"):
            if wanted is None or image.stem in wanted:
                entries.append(Entry(key=str(image.relative_to(root)), source=image, label=0))
    if wanted is not None:
        found = {Path(e.key).stem for e in entries} | {Path(n).stem for n in left_out}
        for name in sorted(wanted - found):
            problems.add(f"split list {split}: {name} is not an image of this copy")
    if not any(e.label == 1 for e in entries):
        problems.add(f"{split}: no manipulated image with a mask; pixel metrics need some")
    return _spec(
        "casia2", split, entries, left_out=left_out, mask_renames=dict(sorted(renames.items()))
    )


def plan_imd2020(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """IMD2020: one folder per source photo, '<id>_orig.<ext>' (authentic), and each manipulated
    version '<name>.<ext>' with its mask '<name>_mask.png' beside it."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name != "lists")
    if not folders:
        problems.add(f"{root}: no photo folders")
    tampered: list[Path] = []
    authentic: list[Path] = []
    masks: dict[str, Path] = {}
    for folder in folders:
        for image in images_in(folder):
            if image.stem.endswith("_mask"):
                masks[str(image.relative_to(root))] = image
            elif image.stem.endswith("_orig"):
                authentic.append(image)
            else:
                tampered.append(image)
        if not any(p.stem.endswith("_orig") for p in images_in(folder)):
            problems.add(f"{folder.name}/: no authentic '<id>_orig' image")
    if not _authentic(options | {"authentic": options.get("authentic", True)}, problems):
        authentic = []
    entries = _pair(
        root,
        split,
        problems,
        tampered,
        masks,
        lambda p: str(p.relative_to(root).with_name(f"{p.stem}_mask.png")),
        authentic,
    )
    return _spec("imd2020", split, entries, authentic=bool(authentic))
