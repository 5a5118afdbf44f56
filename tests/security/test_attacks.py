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
    assert "stopped by the process limit (32 processes)" in submission.failure_reason
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
        "never carried out of /output; the team's failure (`bad_output_file`) names each link",
    )
    submission = submit(test_image("attack-symlink"), track=arena.localize)
    record.observed = f"`{submission.failure_code}`: {submission.failure_reason[:200]}"
    assert (submission.status, submission.failure_code) == (Status.FAILED, "bad_output_file")
    assert "/output/masks/passwd.png: symlink" in submission.failure_reason
    assert "/output/masks/labels.png: symlink" in submission.failure_reason
    artifacts = Path(submission.runs.get().artifacts_dir)
    assert not any(path.is_symlink() for path in artifacts.rglob("*"))
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
    assert "../../x.png" in submission.failure_reason
    record.held = True
