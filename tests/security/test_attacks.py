"""Hostile submissions through the real runner and pipeline: each ends in a named outcome.

Each attack is an image under tests/fixtures/images/attack-<name>/ built from the offline
base. The probe image tries many things at once and reports each attempt; the others each
provoke one limit. Every test records what it saw for docs/security.md.
"""

import hashlib
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from submissions.models import Result, Status

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

EXPECTED_MOUNTS = {
    "/",
    "/input",
    "/output",
    "/tmp",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
}
ENGINE_MOUNTS = ("/dev", "/proc", "/sys")  # the engine's own pseudo-filesystems


def _probe_report(log_tail: str) -> dict:
    for line in log_tail.splitlines():
        if line.startswith("PROBE-REPORT "):
            return json.loads(line.removeprefix("PROBE-REPORT "))
    raise AssertionError(f"no probe report in the log:\n{log_tail[-2000:]}")


def _refused(attempts: dict) -> list[str]:
    """Names of attempts that succeeded (should be none)."""
    return [name for name, result in attempts.items() if result["ok"]]


def test_probe_finds_no_network_labels_secrets_or_privileges(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    inputs = Path(arena.detect.splits.get().inputs_dir)
    manifest_before = hashlib.sha256((inputs / "manifest.jsonl").read_bytes()).hexdigest()
    records = {
        1: record_attack(
            1,
            "network: list interfaces, resolve a name, connect to 127.0.0.1 / "
            "::1 on the host's service ports (22, 80, 443, 2375, 2376, 5432, 6379, "
            "8000, 8080)",
            "only `lo`; every lookup and connect fails",
        ),
        2: record_attack(
            2,
            "labels: walk the filesystem for label files, the split's sealed "
            "truth and other teams' artifacts (planted marker)",
            "nothing found",
        ),
        9: record_attack(
            9,
            "write outside /output (/, /etc, /opt, /input, /usr, /var/tmp, "
            "/home); run a dropped binary from /tmp",
            "every write and the exec fail; inputs unchanged",
        ),
        10: record_attack(
            10,
            "privilege escalation: setuid(0), a setuid-root binary, mount(), "
            "unshare(CLONE_NEWUSER), chown to root",
            "all refused; no capabilities; no_new_privs=1",
        ),
        11: record_attack(
            11,
            "platform secrets: Docker socket, database/broker URLs, secret "
            "key in env, /proc and files",
            "none found",
        ),
    }
    submission = submit(test_image("attack-probe"))
    report = _probe_report(submission.runs.get().log_tail)

    # 1. Network
    connected = _refused(report["connect"])
    records[1].observed = (
        f"interfaces {report['interfaces']}; DNS: {report['dns'].get('error', 'resolved!')}; "
        f"{len(report['connect']) - len(connected)}/{len(report['connect'])} connects refused"
    )
    records[1].held = report["interfaces"] == ["lo"] and not report["dns"]["ok"] and not connected
    # 2. Labels and other teams' data
    leaks = [hit for hit in report["secret_hits"] if "fbmark-" in hit]
    records[2].observed = (
        f"marker found in {len(leaks)} files; label-like file names: "
        f"{report['suspicious_names'] or 'none'}; mounts: /input, /output, /tmp only"
    )
    extra_mounts = {
        m for m in report["mounts"] if m not in EXPECTED_MOUNTS and not m.startswith(ENGINE_MOUNTS)
    }
    records[2].held = not leaks and not report["suspicious_names"] and not extra_mounts
    # 9. Writes outside /output
    written = _refused(report["writes"])
    manifest_after = hashlib.sha256((inputs / "manifest.jsonl").read_bytes()).hexdigest()
    records[9].observed = (
        f"{len(report['writes']) - len(written)}/{len(report['writes'])} refused "
        f"(read-only file system / permission denied); inputs unchanged: "
        f"{manifest_before == manifest_after}"
    )
    records[9].held = not written and manifest_before == manifest_after
    # 10. Privileges
    privileged = [
        name for name in ("setuid0", "mount", "unshare_user", "chown_root") if report[name]["ok"]
    ]
    suid = report["suid_binary_euid"].get("value")
    caps = set(report["caps"].values())
    records[10].observed = (
        f"setuid-root binary ran with euid {suid}; {', '.join(privileged) or 'all calls'} "
        f"{'succeeded' if privileged else 'refused (EPERM)'}; capabilities "
        f"{'none' if caps == {'0000000000000000'} else caps}; NoNewPrivs={report['no_new_privs']}"
    )
    records[10].held = (
        not privileged
        and suid == 65534
        and caps == {"0000000000000000"}
        and report["no_new_privs"] == "1"
        and report["uid"] == [65534, 65534]
    )
    # 11. Secrets
    secrets = [hit for hit in report["secret_hits"] if "fbmark-" not in hit]
    env_extra = set(report["env"]) - {
        "FORGERYBENCH_PROTOCOL",
        "HOME",
        "HOSTNAME",
        "PATH",
        "LANG",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
    }
    records[11].observed = (
        f"sockets: {report['sockets'] or 'none'}; secret strings: {secrets or 'none'}; "
        f"environment: {', '.join(report['env'])}"
    )
    records[11].held = not report["sockets"] and not secrets and not env_extra

    # The probe itself completed and was scored like any submission.
    assert submission.status == Status.FINISHED, submission.failure_reason
    assert Result.objects.filter(submission=submission).count() == 1
    for record in records.values():
        assert record.held, f"attack {record.number} was not contained: {record.observed}"
    assert not (inputs / "pwned").exists()


def test_fork_bomb_is_stopped_by_the_process_limit(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        3,
        "fork bomb (every process forks forever)",
        "stopped by the pids limit; failed with that reason",
    )
    started = time.monotonic()
    submission = submit(test_image("attack-forkbomb"))
    took = time.monotonic() - started
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason} ({took:.0f} s)"
    assert submission.status == Status.FAILED
    assert submission.failure_code == "pids_limit"
    # A hidden split: the platform's words only, no count of the container's making.
    assert "stopped by the process limit" in submission.failure_reason
    assert took < arena.detect.timeout_seconds, "stopped at the limit, not at the time limit"
    record.held = True


def test_memory_bomb_is_oom_killed(arena, submit, test_image, record_attack, no_leftovers) -> None:
    record = record_attack(
        4, "memory bomb (allocate until stopped)", 'OOM-killed: "out of memory (limit … MiB)"'
    )
    type(arena.detect).objects.filter(pk=arena.detect.pk).update(memory_mb=96)
    submission = submit(test_image("attack-membomb"))
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "oom")
    assert submission.failure_reason == "test: out of memory (limit 96 MiB)"
    record.held = True


def test_infinite_loop_is_killed_at_the_time_limit(
    arena, submit, test_image, record_attack, no_leftovers, docker_client
) -> None:
    record = record_attack(
        5, "infinite loop", 'killed at the time limit; "timed out after … s"; container removed'
    )
    type(arena.detect).objects.filter(pk=arena.detect.pk).update(timeout_seconds=3)
    started = time.monotonic()
    submission = submit(test_image("attack-loop"))
    took = time.monotonic() - started
    run = submission.runs.get()
    gone = not docker_client.containers.list(all=True, filters={"id": run.container_id})
    record.observed = (
        f"`{submission.failure_code}`: {submission.failure_reason}; ended after {took:.1f} s; "
        f"container removed: {gone}"
    )
    assert (submission.status, submission.failure_code) == (Status.FAILED, "timeout")
    assert submission.failure_reason == "test: timed out after 3 s"
    assert took < 15
    assert gone
    record.held = True


def test_output_and_log_floods_are_capped(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record_disk = record_attack(
        6,
        "output flood: write into /output until the disk is full (would be 64 GiB)",
        "capped; the host's disk is not filled",
    )
    record_log = record_attack(
        12,
        "16 MiB on stdout and stderr",
        "the log tail kept is bounded; the worker's memory stays bounded",
    )
    cap = arena.settings.FORGERYBENCH_OUTPUT_CAP_MB << 20
    limit = arena.settings.FORGERYBENCH_LOG_TAIL_BYTES
    tracemalloc.start()
    try:
        submission = submit(test_image("attack-flood"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    run = submission.runs.get()
    artifacts = Path(run.artifacts_dir)
    stored = sum(p.stat().st_size for p in artifacts.rglob("*") if p.is_file())
    leftovers = list(Path(arena.settings.FORGERYBENCH_RUNS_DIR).rglob("output.img"))
    record_disk.observed = (
        f"writer got ENOSPC: {'enospc=True' in run.log_tail}; {stored / 2**20:.1f} MiB kept "
        f"(cap {cap >> 20} MiB); loop file removed: {not leftovers}; the submission was scored "
        f"({submission.status})"
    )
    assert "enospc=True" in run.log_tail, run.log_tail[-300:]
    assert stored <= cap
    assert not leftovers
    assert submission.status == Status.FINISHED, submission.failure_reason
    record_disk.held = True

    kept = len(run.log_tail.encode())
    record_log.observed = (
        f"log tail kept {kept} bytes (limit {limit}); peak Python memory of the whole "
        f"run and score {peak / 2**20:.1f} MiB"
    )
    assert kept <= limit
    assert "FLOOD-REPORT" in run.log_tail, "the tail is the end of the output"
    assert peak < 4 << 20
    record_log.held = True


def test_symlinks_in_output_are_rejected(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        7,
        "masks that are symlinks to the host's /etc/passwd and to a label path",
        "never carried out of /output; the team's failure `bad_output_file` "
        "(each link named on public splits)",
    )
    submission = submit(test_image("attack-symlink"), track=arena.localize)
    run = submission.runs.get()
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason[:200]}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
    assert "passwd.png" not in submission.failure_reason, "hidden split: no names to the team"
    assert "/output/masks/passwd.png: symlink" in run.log_tail, "named to organizers"
    artifacts = Path(submission.runs.get().artifacts_dir)
    assert not any(path.is_symlink() for path in artifacts.rglob("*"))
    # The agent carries a refused /output not at all (or, at most, its regular files).
    assert {p.name for p in artifacts.rglob("*") if p.is_file()} <= {"predictions.jsonl"}
    assert not Result.objects.filter(submission=submission).exists()
    record.held = True


def test_path_traversal_in_mask_names_is_rejected(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        8, "mask names `../../x.png` and `/etc/passwd`", "rejected by validation (`path_escape`)"
    )
    submission = submit(test_image("attack-traversal"), track=arena.localize)
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason[:160]}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "path_escape")
    # A hidden split: the rule is named, the offending paths only on public splits.
    assert "path_escape" in submission.failure_reason
    assert "../../x.png" in submission.runs.get().log_tail, "named to organizers"
    record.held = True


def _host_inputs(arena) -> Path:  # type: ignore[no-untyped-def]
    return Path(arena.detect.splits.get().inputs_dir)


def _no_links(folder: Path) -> bool:
    return not any(path.is_symlink() for path in folder.rglob("*"))


def test_the_original_label_leak_fails_twice(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        13,
        "issue 14's leak, submitted twice: `/output/units.npz` a symlink to "
        "`<host folder of /input>/leak.npz` (read from /proc/self/mountinfo); the second run "
        "reads `/input/leak.npz` and writes perfect scores",
        "the link is never carried or written through: both runs fail as `bad_output_file`; "
        "no `leak.npz` appears in the inputs; no result",
    )
    inputs = _host_inputs(arena)
    image = test_image("attack-leak")
    first = submit(image)
    second = submit(image)
    leak = inputs / "leak.npz"
    report = next(
        line for line in second.runs.get().log_tail.splitlines() if line.startswith("LEAK-")
    )
    record.observed = (
        f"run 1 `{first.failure_code}`: {first.failure_reason[:150]}; run 2 saw {report}, "
        f"`{second.failure_code}`; leak.npz in inputs: {leak.exists() or leak.is_symlink()}"
    )
    for submission in (first, second):
        assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
        artifacts = Path(submission.runs.get().artifacts_dir)
        assert _no_links(artifacts) and not (artifacts / "units.npz").exists()
        assert "/output/units.npz: symlink" in submission.runs.get().log_tail
    assert report == 'LEAK-REPORT {"found": false}'
    assert not leak.exists() and not leak.is_symlink()
    assert not Result.objects.filter(submission__in=[first, second]).exists()
    record.held = True


def test_a_file_at_a_platform_name_is_neither_read_nor_written(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    from submissions.artifacts import unit_table_path

    record = record_attack(
        14,
        "a regular file at a name the platform writes and reads after a run "
        "(`/output/units.npz`, a forged unit table)",
        "scored; the platform's table is written only under scores/ and read only from there; "
        "the container's file stays data",
    )
    submission = submit(test_image("attack-unitsfile"))
    split = arena.detect.splits.get()
    forged = Path(submission.runs.get().artifacts_dir) / "units.npz"
    own = unit_table_path(submission_id=submission.pk, split_name=split.name)
    import numpy as np

    with np.load(own, allow_pickle=False) as table:
        labels = [int(v) for v in table["labels"]]
    truth = [json.loads(line)["label"] for line in Path(split.labels_path).read_text().splitlines()]
    record.observed = (
        f"{submission.status}; container's units.npz unchanged: "
        f"{b'FORGED-BY-THE-CONTAINER' in forged.read_bytes()}; platform table at "
        f"scores/{submission.pk}/{split.name}/units.npz holds the true labels: {labels == truth}"
    )
    assert submission.status == Status.FINISHED, submission.failure_reason
    assert b"FORGED-BY-THE-CONTAINER" in forged.read_bytes()
    assert labels == truth
    assert not own.is_relative_to(Path(arena.settings.FORGERYBENCH_ARTIFACTS_DIR))
    record.held = True


def test_a_link_at_every_platform_name_is_never_followed(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        15,
        "a symlink at every name the platform writes or reads after a run (predictions.jsonl, "
        "units.npz, predictions.tar.gz, output.bundle.tar, output.img, provenance.json, "
        "log.txt, masks/, scores/, ..) aimed at the sealed labels and a planted inputs file",
        "none carried or followed; `bad_output_file` (each named on public splits); "
        "targets unchanged",
    )
    inputs = _host_inputs(arena)
    victim = inputs / "victim.txt"
    victim.write_text("untouched\n")
    truth = Path(arena.detect.splits.get().labels_path)
    truth_before = truth.read_bytes()
    submission = submit(test_image("attack-links"))
    artifacts = Path(submission.runs.get().artifacts_dir)
    carried = [
        name
        for name in (
            "predictions.jsonl",
            "units.npz",
            "predictions.tar.gz",
            "output.bundle.tar",
            "output.img",
            "provenance.json",
            "log.txt",
            "masks",
            "scores",
            "up",
        )
        if (artifacts / name).exists() or (artifacts / name).is_symlink()
    ]
    unchanged = truth.read_bytes() == truth_before and victim.read_text() == "untouched\n"
    record.observed = (
        f"`{submission.failure_code}`; links carried: {carried or 'none'} of 10; labels and victim "
        f"unchanged: {unchanged}"
    )
    assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
    assert carried == [], carried
    assert unchanged
    assert _no_links(Path(submission.runs.get().artifacts_dir))
    assert not Result.objects.filter(submission=submission).exists()
    record.held = True


def test_tag_planting_for_every_platform_image_name_moves_nothing(
    arena, docker_client, record_attack, tmp_path
) -> None:
    import docker.errors

    from runagent.images import image_load_checked
    from submissions.images import SUBMISSION_REPOSITORY, image_tarball_stage
    from tests.support import image_tarball, platform_image_names

    names = platform_image_names(docker_client)
    record = record_attack(
        16,
        f"tag planting: a tarball tagged as each platform image name ({len(names)} names: "
        "base, base-torch, every baseline-*, the platform image, every tag they carry)",
        "every tag the tarball carries is discarded by intake (the image store's copy) and "
        "again by the agent's loader; the image is named by the platform",
    )

    def target(name: str) -> str | None:
        try:
            return docker_client.images.get(name).id
        except docker.errors.ImageNotFound:
            return None

    loaded = []
    try:
        for number, name in enumerate(names):
            path = tmp_path / f"plant-{number}.tar"
            image_tarball(path, tags=[name])
            with image_tarball_stage(path=path) as staged:
                staged.publish()
            image_load_checked(docker_client, path=staged.target, image_id=staged.image_id)
            loaded.append(docker_client.images.get(staged.image_id))
        # A planted tag would lead to a loaded image (compared by target, not before/after:
        # other builds may retag a platform image on a shared engine meanwhile).
        ours = {image.id for image in loaded}
        moved = [name for name in names if target(name) in ours]
        named = all(
            image.tags == [f"{SUBMISSION_REPOSITORY}:{(image.id or '')[7:]}"] for image in loaded
        )
        record.observed = (
            f"{len(loaded)} tarballs stored and loaded by the agent; tags moved or added: "
            f"{moved or 'none'}; each image named only `{SUBMISSION_REPOSITORY}:<id>`: {named}"
        )
        assert not moved and named
    finally:
        for image in loaded:
            for tag in image.tags:
                docker_client.images.remove(tag)
    record.held = True


def test_a_declared_volume_is_refused_and_never_outlives_a_run(
    arena, submit, test_image, record_attack, no_leftovers, docker_client, tmp_path
) -> None:
    from evaluator.runner import RunLimits, run_submission_container
    from submissions.images import ImageIntakeError, image_tarball_stage
    from submissions.services import SubmissionRejected
    from tests.support import image_tarball

    record = record_attack(
        17,
        "a declared volume (`VOLUME /scratch`, owned by the run user) that would take 200 MiB "
        "per run outside the cap, the read-only root and noexec",
        "refused at intake (`declared_volume`), by upload and by reference; a run never "
        "leaves a volume behind",
    )
    image = test_image("attack-volume")
    with pytest.raises(SubmissionRejected) as by_reference:
        submit(image)
    path = tmp_path / "volume.tar"
    image_tarball(path, config={"Volumes": {"/scratch": {}}})
    with pytest.raises(ImageIntakeError) as by_upload, image_tarball_stage(path=path):
        pass
    # Defence in depth: even run directly, the container goes with its anonymous volume.
    volumes_before = {v.name for v in docker_client.volumes.list()}
    outcome = run_submission_container(
        docker_client,
        image_id=image,
        inputs_dir=_host_inputs(arena),
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=RunLimits(timeout_seconds=60, memory_mb=256, cpus=1.0, output_cap_mb=8),
        run_key=f"{arena.settings.FORGERYBENCH_INSTANCE}-volume",
        docker_labels={"org.forgerybench.instance": arena.settings.FORGERYBENCH_INSTANCE},
    )
    left = {v.name for v in docker_client.volumes.list()} - volumes_before
    record.observed = (
        f"by reference: `{by_reference.value.code}`; by upload: `{by_upload.value.code}` "
        f"(before the store or any engine); run directly: {outcome.outcome}, "
        f"volumes left: {len(left)}"
    )
    assert by_reference.value.code == by_upload.value.code == "declared_volume"
    assert left == set()
    record.held = True


def test_hard_link_amplification_cannot_multiply_the_cap(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        18,
        "hard-link amplification: one 1 MiB file with 64 more names (64 MiB from an 8 MiB /output)",
        "the twins are never carried; `bad_output_file`; at most the cap kept",
    )
    submission = submit(test_image("attack-hardlink"))
    artifacts = Path(submission.runs.get().artifacts_dir)
    kept = sum(p.stat().st_size for p in artifacts.rglob("*") if p.is_file())
    names = sorted(p.name for p in artifacts.rglob("*") if p.is_file())
    record.observed = (
        f"`{submission.failure_code}`; carried: {', '.join(names)} (no twin); "
        f"{kept / 2**20:.1f} MiB kept"
    )
    assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
    assert set(names) <= {"big.bin", "predictions.jsonl"}, "no twin is ever carried"
    assert kept <= (1 << 20) + 4096
    record.held = True


def test_a_sparse_file_is_counted_as_the_bytes_it_would_take(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        19,
        "sparse-file amplification: a 64 GiB file of holes in the 8 MiB /output",
        "refused whole (`output_too_large`) before a byte of it is read; nothing kept",
    )
    started = time.monotonic()
    submission = submit(test_image("attack-sparse"))
    took = time.monotonic() - started
    artifacts = Path(submission.runs.get().artifacts_dir)
    record.observed = (
        f"`{submission.failure_code}`: {submission.failure_reason[:140]}; artifacts kept: "
        f"{artifacts.exists()}; {took:.1f} s"
    )
    assert (submission.status, submission.failure_code) == (Status.FAILED, "output_too_large")
    assert not artifacts.exists()
    assert took < 30
    record.held = True


def test_a_hundred_thousand_tiny_files_stop_at_the_file_limit(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        20,
        "100,000 tiny files in /output (the cap raised to 400 MiB so they fit)",
        "the walk stops at `FORGERYBENCH_OUTPUT_MAX_FILES` (20,000): `output_too_many_files`",
    )
    arena.settings.FORGERYBENCH_OUTPUT_CAP_MB = 400
    type(arena.detect).objects.filter(pk=arena.detect.pk).update(timeout_seconds=300)
    started = time.monotonic()
    submission = submit(test_image("attack-manyfiles"))
    took = time.monotonic() - started
    log = submission.runs.get().log_tail
    made = next(line for line in log.splitlines() if line.startswith("MANYFILES-REPORT"))
    record.observed = (
        f"container made {made.split()[1]} files; `{submission.failure_code}`: "
        f"{submission.failure_reason}; whole submission {took:.0f} s"
    )
    assert (submission.status, submission.failure_code) == (
        Status.FAILED,
        "output_too_many_files",
    )
    assert int(made.split()[1]) == 100_000
    assert not Path(submission.runs.get().artifacts_dir).exists()
    record.held = True


def test_bad_file_names_and_log_bytes_are_the_teams_failure(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    record = record_attack(
        21,
        "file names that are not UTF-8 or hold control characters (and an attempted NUL); NUL "
        "and invalid UTF-8 on stdout/stderr",
        "the team's counted failure `bad_output_file` (names, escaped, on public splits); "
        "none carried",
    )
    from submissions.models import PLATFORM_FAILURE_CODES

    submission = submit(test_image("attack-badnames"))
    run = submission.runs.get()
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason[:220]}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
    artifacts = Path(run.artifacts_dir)
    assert {p.name for p in artifacts.rglob("*")} <= {"predictions.jsonl"}, "no bad name carried"
    assert "BADNAMES-REPORT" in run.log_tail and "\\x00" in run.log_tail
    assert submission.failure_code not in PLATFORM_FAILURE_CODES  # counted against the quota
    record.held = True


def test_nul_bytes_in_logs_and_ids_are_the_teams_failure(
    arena, submit, test_image, record_attack, no_leftovers
) -> None:
    from submissions.models import PLATFORM_FAILURE_CODES

    record = record_attack(
        22,
        "NUL bytes and invalid UTF-8 in the log, and a predicted id holding a NUL and a lone "
        "surrogate",
        "the team's counted failure (`unknown_id`), never an uncounted `platform_error`",
    )
    submission = submit(test_image("attack-badlog"))
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason[:200]}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "unknown_id")
    assert submission.failure_code not in PLATFORM_FAILURE_CODES
    assert "\x00" not in submission.failure_reason
    assert "\\x00" in submission.runs.get().log_tail
    record.held = True
