"""What a container wrote under /output, packed into one bundle for the platform.

`bundle_output` is the only place the agent turns a run's output into a bundle; the runner
calls it while the capped /output is still mounted. The packing rules are the evaluator's
(evaluator.outbundle: regular files only, links never followed, one byte budget counted as
read, clean names, every refusal named). The agent does not unpack: the platform unpacks the
uploaded bundle itself, re-checking every member, into a folder no container ever wrote.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from evaluator.outbundle import BundleLimits, PackReport, pack_output

BUNDLE = "bundle.tar"


def bundle_output(source: Path, workdir: Path, scratch: Path, limits: BundleLimits) -> PackReport:
    """Pack `source` (the mounted /output) into `workdir`/bundle.tar (the runner's `collect`).

    `scratch` (the runner's own bundle path) is not used: the bundle must outlive the run."""
    del scratch
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    report = pack_output(source, workdir / BUNDLE, limits=limits)
    if not report.ok:
        (workdir / BUNDLE).unlink(missing_ok=True)  # refused whole: nothing to send
    return report


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
