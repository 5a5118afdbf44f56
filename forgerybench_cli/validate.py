"""Run a team's image locally on a track's public val sample, as the platform would.

The container is started by the platform's own runner (`evaluator.runner`, the same hardening
flags and limits) and its predictions go through the platform's own validation and scoring
(`evaluator.scoring`). Nothing is uploaded and no quota is used.
"""

import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from evaluator.runner import RunLimits, RunOutcome, run_submission_container
from evaluator.scoring import evaluate
from evaluator.splitformat import PREDICTIONS_FILE
from evaluator.validation import PredictionError, TruthError

from .client import Api, ApiError


@dataclass
class Report:
    sample: dict[str, Any]
    outcome: RunOutcome | None = None
    errors: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.result is not None


def public_split(track: dict[str, Any], wanted: str | None) -> dict[str, Any]:
    public = [s for s in track["splits"] if s["visibility"] == "public"]
    if wanted:
        for split in track["splits"]:
            if split["name"] == wanted:
                if split["visibility"] != "public":
                    raise ApiError("split_not_public", f"split {wanted} is hidden")
                return split
        raise ApiError("split_not_found", f"track {track['id']} has no split {wanted}")
    if not public:
        raise ApiError("no_public_split", f"track {track['id']} has no public split to validate on")
    return next((s for s in public if s["name"] == "val"), public[0])


def sample_fetch(
    api: Api,
    track: dict[str, Any],
    split: dict[str, Any],
    cache: Path,
    *,
    on_total: Callable[[int | None], None],
    on_bytes: Callable[[int], None],
) -> tuple[Path, bool]:
    """The extracted sample folder; downloaded once per content (keyed by its digest)."""
    host = api.server.split("://", 1)[-1].replace("/", "_").replace(":", "_")
    folder = (
        cache
        / "samples"
        / host
        / track["id"].replace("/", "__")
        / (f"{split['name']}-{split['inputs_sha256'][:16]}")
    )
    if (folder / ".complete").is_file():
        return folder, False
    folder.parent.mkdir(parents=True, exist_ok=True)
    benchmark, slug = track["id"].split("/")
    path = f"/api/v1/tracks/{benchmark}/{slug}/splits/{split['name']}/archive/"
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".download-"))
    try:
        archive = work / "sample.tar.gz"
        with api.request("GET", path, stream=True) as response, archive.open("wb") as out:
            length = response.headers.get("Content-Length")
            on_total(int(length) if length and length.isdigit() else None)
            for block in response.iter_content(1024 * 1024):
                out.write(block)
                on_bytes(len(block))
        extracted = work / "sample"
        with tarfile.open(archive) as bundle:
            bundle.extractall(extracted, filter="data")  # no links, no paths outside
        _readable_by_anyone(extracted)  # the container runs as another user
        (extracted / ".complete").write_text("ok\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(extracted, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder, True


def _readable_by_anyone(root: Path) -> None:
    os.chmod(root, 0o755)
    for path in root.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def limits_for(sample: dict[str, Any], *, gpu: bool | None) -> RunLimits:
    """The platform's limits for this track, as the sample describes them."""
    return RunLimits(
        timeout_seconds=int(sample["timeout_seconds"]),
        memory_mb=int(sample["memory_mb"]),
        cpus=float(sample["cpus"]),
        pids_limit=int(sample.get("pids_limit", 256)),
        output_cap_mb=int(sample.get("output_cap_mb", 1024)),
        tmpfs_mb=int(sample.get("tmpfs_mb", 256)),
        user=str(sample.get("run_user", "65534:65534")),
        gpu=bool(sample["gpu"]) if gpu is None else gpu,
        log_tail_bytes=int(sample.get("log_tail_bytes", 64 * 1024)),
        # A workstation may not allow loop mounts: then /output is a plain folder.
        allow_uncapped_output=True,
    )


def validate_image(
    client: docker.DockerClient, image: str, sample_dir: Path, *, gpu: bool | None = None
) -> Report:
    sample = json.loads((sample_dir / "sample.json").read_text())
    report = Report(sample=sample)
    work = Path(tempfile.mkdtemp(prefix="forgerybench-validate-"))
    try:
        run_dir = work / "run"
        # Without root, /output falls back to a plain folder: let the run user write to it.
        (run_dir / "output").mkdir(parents=True)
        os.chmod(run_dir / "output", 0o777)
        artifacts = work / "artifacts"
        outcome = run_submission_container(
            client,
            image_id=image,
            inputs_dir=(sample_dir / sample["inputs"]).resolve(),
            run_dir=run_dir,
            artifacts_dir=artifacts,
            limits=limits_for(sample, gpu=gpu),
            run_key=f"validate-{uuid.uuid4().hex[:12]}",
            docker_labels={"org.forgerybench.validate": "1"},
        )
        report.outcome = outcome
        if not outcome.succeeded:
            report.errors.append(outcome.message)
            report.error_codes.append(outcome.outcome)
        predictions = artifacts / PREDICTIONS_FILE
        if outcome.succeeded and not predictions.exists() and not predictions.is_symlink():
            report.errors.append(f"the container exited 0 but wrote no /output/{PREDICTIONS_FILE}")
            report.error_codes.append("missing_file")
            return report
        if not outcome.succeeded:
            return report
        try:
            report.result = evaluate(
                sample["task"],
                sample_dir / sample["truth"],
                predictions,
                seed=0,
                primary=sample["primary_metric"],
            ).result
        except PredictionError as exc:
            report.errors.append(str(exc))
            report.error_codes.extend(exc.codes)
        except TruthError as exc:
            report.errors.append(f"the downloaded sample is broken (not your fault): {exc}")
            report.error_codes.append("bad_sample")
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
