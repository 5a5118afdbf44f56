"""Provenance retrieval sets (COCO-Fake, PIR): queries, a gallery and a relevance file.

Layout under the root: ``<queries>/`` and ``<gallery>/`` image folders, a relevance file with
lines ``<query file> <gallery file> [<gallery file> ...]``, optional ``<masks>/<query stem>.png``
(kept with the labels). ``from`` is ``all`` or a list file of the split's query names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Entry, Problems, SplitSpec, images_in, read_lines


def plan_retrieval(
    root: Path, split: str, options: dict[str, Any], problems: Problems
) -> SplitSpec:
    queries = {p.name: p for p in images_in(root / str(options.get("queries", "queries")))}
    gallery = {p.name: p for p in images_in(root / str(options.get("gallery", "gallery")))}
    masks_dir = root / str(options.get("masks", "masks"))
    relevance = root / str(options.get("relevance", "relevance.txt"))
    if not queries:
        problems.add(f"{root / str(options.get('queries', 'queries'))}: no query images")
    if not gallery:
        problems.add(f"{root / str(options.get('gallery', 'gallery'))}: no gallery images")
    wanted: set[str] | None = None
    if split != "all":
        listing = root / split
        if not listing.is_file():
            problems.add(f"split list {listing} is missing (use 'all' or a list of query names)")
            wanted = set()
        else:
            wanted = {line for _, line in read_lines(listing)}
    relevant: dict[str, list[str]] = {}
    if not relevance.is_file():
        problems.add(f"{relevance}: missing ('<query> <gallery> [<gallery> ...]' a line)")
    else:
        for number, line in read_lines(relevance):
            query, *items = line.split()
            if query not in queries:
                problems.add(
                    f"{relevance.name}:{number}: query {query} is not in the queries folder"
                )
            for item in items:
                if item not in gallery:
                    problems.add(f"{relevance.name}:{number}: {item} is not in the gallery folder")
            if not items:
                problems.add(f"{relevance.name}:{number}: query {query} lists no relevant image")
            if query in relevant:
                problems.add(f"{relevance.name}:{number}: query {query} listed twice")
            relevant[query] = items
    chosen = sorted(q for q in queries if wanted is None or q in wanted)
    if wanted is not None:
        for name in sorted(wanted - set(queries)):
            problems.add(f"split list {split}: {name} is not a query image")
    entries: list[Entry] = []
    for name in chosen:
        if name not in relevant:
            problems.add(f"query {name} has no line in {relevance.name}")
            continue
        mask = masks_dir / f"{Path(name).stem}.png"
        extra = {"mask": str(mask.relative_to(root))} if mask.is_file() else {}
        entries.append(
            Entry(
                key=f"queries/{name}",
                source=queries[name],
                role="query",
                relevant=[f"gallery/{g}" for g in relevant[name] if g in gallery],
                extra=extra,
            )
        )
    entries += [
        Entry(key=f"gallery/{g}", source=p, role="gallery") for g, p in sorted(gallery.items())
    ]
    record = {
        "importer": "retrieval",
        "split": split,
        "queries": len(chosen),
        "gallery": len(gallery),
    }
    return SplitSpec(task="retrieval", track="", entries=entries, record=record)
