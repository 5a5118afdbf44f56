"""Audit bundles: one zip per Result or per leaderboard (a split), for offline checking.

Holds the stored predictions, each Result's provenance and stored numbers, the evaluator
version, the manifest and label hashes, and the exact ``python -m evaluator score`` command to
recompute every number. Never the labels or unit tables (which hold labels): the reviewer
brings the sealed truth file and checks it against the SHA-256 in the bundle first.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import evaluator
from audit.chain import canonical_json
from audit.selectors import audit_anchor_current
from evaluator.splitformat import TRUTH_FILE
from submissions.models import Provenance, Result
from submissions.provenance import provenance_document
from submissions.storage import checked

from .rescoring import offline_command

TRUTH_NAME = TRUTH_FILE


class BundleError(ValueError):
    """A bundle cannot be built; the message names the Result and the reason."""


def _members(archive: Path) -> Iterable[tuple[str, bytes]]:
    with tarfile.open(archive, mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def _json(value: Any) -> bytes:
    return (canonical_json(value) + "\n").encode("utf-8")


def bundle_build(*, results: list[Result], title: str) -> bytes:
    """The zip's bytes. Every Result needs provenance and intact stored predictions."""
    if not results:
        raise BundleError("there is nothing to export: no scored results")
    files: dict[str, bytes] = {}
    commands = []
    splits: dict[int, dict[str, Any]] = {}
    for result in results:
        provenance = Provenance.objects.filter(result=result).select_related("split").first()
        if provenance is None:
            raise BundleError(f"result {result.pk} has no provenance record")
        archive = checked(Path(provenance.predictions_path), provenance.predictions_sha256)
        folder = f"results/{result.pk}"
        for name, data in _members(archive):
            files[f"{folder}/predictions/{name}"] = data
        files[f"{folder}/provenance.json"] = _json(provenance_document(provenance))
        files[f"{folder}/result.json"] = _json(
            {
                "result": result.pk,
                "submission": result.submission_id,
                "split": str(provenance.split),
                "metrics": result.metrics,
                "primary_value": result.primary_value,
                "protocol_version": result.protocol_version,
                "evaluator_version": result.evaluator_version,
                "metrics_sha256": provenance.metrics_sha256,
            }
        )
        splits[provenance.split_id] = {
            "split": str(provenance.split),
            "manifest_sha256": provenance.manifest_sha256,
            "labels_sha256": provenance.labels_sha256,
            "sample_count": provenance.sample_count,
            "truth_file": f"splits/{provenance.split_id}/{TRUTH_NAME}",
        }
        command = offline_command(
            provenance,
            truth=f"splits/{provenance.split_id}/{TRUTH_NAME}",
            predictions=f"{folder}/predictions/predictions.jsonl",
        )
        commands.append(
            f"# result {result.pk}: {result.submission.method_name} on {provenance.split}; "
            f"compare with {folder}/result.json\n{shlex.join(command)} > {folder}/rescored.json"
        )
    files["hashes.json"] = _json(
        {
            "evaluator_version": evaluator.__version__,
            "protocol_version": evaluator.PROTOCOL_VERSION,
            "splits": list(splits.values()),
        }
    )
    # The audit chain's head as the bundle was made: evidence for `verify_audit_log --against`.
    files["audit_head.json"] = _json(audit_anchor_current().columns())
    files["rescore.sh"] = ("#!/bin/sh\nset -e\n" + "\n".join(commands) + "\n").encode()
    checks = "\n".join(
        f"  echo '{info['labels_sha256']}  {info['truth_file']}' | sha256sum -c"
        for info in splits.values()
    )
    files["README.txt"] = (
        f"ForgeryBench audit bundle: {title}\n\n"
        f"Scored under protocol v{evaluator.PROTOCOL_VERSION}; this bundle was written by "
        f"evaluator {evaluator.__version__}. Each results/<id>/provenance.json names the "
        "evaluator version and commit that produced that result.\n\n"
        "Labels are not included. Put your copy of each split's sealed truth file (with its\n"
        "masks) where hashes.json says, check it, then run rescore.sh from this folder with the\n"
        "evaluator installed (a checkout of the platform at the recorded commit):\n\n"
        f"{checks}\n  sh rescore.sh\n\n"
        "Each rescored.json must equal the metrics in result.json exactly.\n"
        "audit_head.json is the audit log's chain head when this bundle was made: keep it;\n"
        "`manage.py verify_audit_log --against audit_head.json` later proves the log up to it\n"
        "was not rewritten.\n"
        "SHA256SUMS lists every file of this bundle.\n"
    ).encode()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    files["SHA256SUMS"] = sums.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()
