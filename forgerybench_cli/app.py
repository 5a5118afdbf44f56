"""The `forgerybench` command: typer commands that print with rich.

Exit status: 0 done; 1 the thing checked failed (a submission failed, validation found
errors); 2 bad usage or an API refusal (its code and message are printed).
"""

import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import docker
import docker.errors
import requests
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from . import config
from .client import Api, ApiError

app = typer.Typer(
    help="ForgeryBench from the terminal: submit images, follow them, validate locally.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
DONE = ("finished", "failed")


def _api() -> Api:
    settings = config.load()
    if not settings.token:
        raise ApiError("no_token", "not logged in: run `forgerybench login` first")
    return Api(settings.server, settings.token)


def _public_api() -> Api:
    settings = config.load()
    return Api(settings.server, settings.token)


def _bytes_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def _fail(exc: Exception) -> NoReturn:
    if isinstance(exc, ApiError):
        err.print(f"[red]error[/red] {exc.message} [dim]({exc.code})[/dim]")
    else:
        err.print(f"[red]error[/red] {exc}")
    raise typer.Exit(2)


def _track_path(track: str) -> str:
    benchmark, _, slug = track.partition("/")
    if not benchmark or not slug:
        raise ApiError("bad_track", f"name a track as <benchmark>/<track>, not {track!r}")
    return f"/api/v1/tracks/{benchmark}/{slug}/"


@app.command()
def login(
    server: Annotated[str, typer.Option(help="the site's address, e.g. https://forgerybench.org")],
    token: Annotated[
        str | None, typer.Option(help="an API token (asked for when not given)")
    ] = None,
) -> None:
    """Check a token from your account page and store it in your config folder."""
    token = token or typer.prompt("API token (from /account/tokens/)", hide_input=True)
    try:
        me = Api(server, token).get("/api/v1/me/")
    except (ApiError, requests.RequestException) as exc:
        _fail(exc)
    path = config.save(config.Settings(server=server, token=token))
    teams = ", ".join(me["teams"]) or "no team yet"
    out.print(f"Logged in to {server} as [bold]{me['username']}[/bold] ({teams}).")
    out.print(f"Token stored in {path}")


@app.command()
def benchmarks() -> None:
    """List benchmarks and their tracks."""
    try:
        found = _public_api().get("/api/v1/benchmarks/")
    except (ApiError, requests.RequestException) as exc:
        _fail(exc)
    table = Table("track", "task", "primary", "resources", "splits")
    for benchmark in found:
        for track in benchmark["tracks"]:
            splits = ", ".join(f"{s['name']} ({s['visibility']})" for s in track["splits"])
            resources = (
                f"{'GPU' if track['gpu'] else 'CPU'}, {track['cpus']:g} CPU, "
                f"{track['memory_mb']} MiB, {track['timeout_seconds']} s"
            )
            name = track["id"] + (" [yellow](synthetic)[/yellow]" if benchmark["synthetic"] else "")
            table.add_row(name, track["task"], track["primary_metric"], resources, splits)
    out.print(table)


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


@app.command()
def leaderboard(
    track: Annotated[str, typer.Argument(help="<benchmark>/<track>")],
    split: Annotated[str | None, typer.Option(help="only this split")] = None,
) -> None:
    """Show a track's leaderboard."""
    try:
        params = {"split": split} if split else {}
        data = _public_api().get(_track_path(track) + "leaderboard/", params=params)
    except (ApiError, requests.RequestException) as exc:
        _fail(exc)
    out.print(f"[bold]{data['track']}[/bold] · protocol v{data['protocol']}")
    for board in data["splits"]:
        if board.get("public_part"):
            part = Table("rank", "team", "method", data["primary_metric"], "95% interval")
            part.title = f"{board['split']}: public part (the rest stays private until publication)"
            for row in board["public_part"]:
                interval = row.get("interval")
                shown = f"[{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "—"
                value = _number(row["metrics"].get(data["primary_metric"]))
                part.add_row(str(row["rank"]), row["team"], row["method"], value, shown)
            out.print(part)
        if not board["results_visible"]:
            out.print(f"\n{board['split']} ({board['visibility']}): results not published yet")
            continue
        columns = board["columns"]
        table = Table(
            "rank", "team", "method", *columns, "95% interval", "chosen by", title=board["split"]
        )
        for row in board["rows"]:
            interval = row.get("interval")
            shown = f"[{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "—"
            team = row["team"] + (" (baseline)" if row["is_baseline"] else "")
            metrics = [_number(row["metrics"].get(name)) for name in columns]
            chosen = row.get("chosen_by", "")
            table.add_row(str(row["rank"]), team, row["method"], *metrics, shown, chosen)
        out.print(table)


@app.command()
def submit(
    image: Annotated[str, typer.Argument(help="a local image: name:tag or id")],
    track: Annotated[str, typer.Option(help="<benchmark>/<track>")],
    method: Annotated[str, typer.Option(help="your method's name on the leaderboard")],
    training_data: Annotated[str, typer.Option(help="a benchmark slug, or 'other: <description>'")],
    team: Annotated[str | None, typer.Option(help="team slug (if you are in several)")] = None,
    model_card: Annotated[
        Path | None,
        typer.Option(
            help="a markdown or text file describing the model (at most 64 KiB); pinned with "
            "the image, it cannot be edited later"
        ),
    ] = None,
    license: Annotated[
        str, typer.Option(help="the model's license: an SPDX identifier (MIT, Apache-2.0…)")
    ] = "",
    compress: Annotated[bool, typer.Option(help="gzip the tarball before sending")] = False,
    chunk_mb: Annotated[int, typer.Option(help="bytes per request, in MiB")] = 64,
) -> None:
    """Export IMAGE, upload it (resumable) and queue it; prints the submission id."""
    from .upload import image_export, submission_create, upload_forget, upload_send, upload_start

    card = _read_model_card(model_card) if model_card is not None else ""
    try:
        api = _api()
        client = docker.from_env()
        with _bytes_progress() as progress:
            task = progress.add_task("export", total=None)
            exported = image_export(
                client,
                image,
                config.cache_dir() / "exports",
                compress=compress,
                on_bytes=lambda n: progress.advance(task, n),
            )
            progress.update(task, total=progress.tasks[task].completed)
            fields = {"track": track, "method_name": method, "training_data": training_data}
            if team:
                fields["team"] = team
            if card:
                fields["model_card"] = card
            if license:
                fields["license"] = license
            session = upload_start(api, exported, fields)
            sent = progress.add_task("upload", total=exported.size)
            session = upload_send(
                api,
                session,
                exported.path,
                on_offset=lambda offset: progress.update(sent, completed=offset),
                on_bytes=lambda n: progress.advance(sent, n),
                on_retry=lambda exc, n: progress.console.print(
                    f"[yellow]connection lost ({type(exc).__name__}); resuming, try {n}[/yellow]"
                ),
                chunk=chunk_mb * 1024 * 1024,
            )
        err.print(f"uploaded {exported.size:,} bytes, SHA-256 {exported.sha256}; loading image…")
        submission, created = submission_create(api, session["id"])
        upload_forget(exported)
    except docker.errors.ImageNotFound:
        _fail(ApiError("image_not_found", f"no local image {image!r}"))
    except (ApiError, requests.RequestException, docker.errors.DockerException) as exc:
        _fail(exc)
    note = "" if created else " (already submitted earlier)"
    out.print(f"submission {submission['id']} {submission['status']}{note}")


MODEL_CARD_MAX_BYTES = 64 * 1024


def _read_model_card(path: Path) -> str:
    """The card's text, checked before any byte of the image is exported or sent."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(ApiError("model_card_unreadable", f"cannot read the model card {path}: {exc}"))
    if len(data) > MODEL_CARD_MAX_BYTES:
        _fail(
            ApiError(
                "model_card_too_large",
                f"the model card {path} is {len(data):,} bytes; the limit is "
                f"{MODEL_CARD_MAX_BYTES:,}",
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        _fail(ApiError("model_card_not_text", f"the model card {path} is not UTF-8 text"))


def _show(submission: dict[str, Any]) -> None:
    status = submission["status"]
    colour = {"finished": "green", "failed": "red"}.get(status, "cyan")
    out.print(
        f"#{submission['id']} [{colour}]{status}[/{colour}] · {submission['team']} · "
        f"{submission['method_name']} on {submission['track']}"
    )
    if status == "failed":
        out.print(f"  {submission['failure_code']}: {submission['failure_reason']}")
    place = submission.get("queue")
    if place:
        line = (
            f"  queue {place['queue']}: position {place['position']} "
            f"({place['ahead']} ahead, fair-share level {place['level']}), "
            f"{place['workers']} worker(s) serving it"
        )
        if place.get("eta_start"):
            line += f"; estimated start {place['eta_start'][11:16]} UTC"
        elif not place["workers"]:
            line += "; no worker is serving this queue right now"
        out.print(line)
        states = place.get("worker_states") or {}
        shown = ", ".join(f"{count} {state}" for state, count in states.items()) or "none seen"
        out.print(f"  workers on {place['queue']}: {shown}")


def _show_queues(status: dict[str, Any]) -> None:
    """Each queue's depth and the state of the workers and run agents serving it."""
    for queue in status.get("queues", []):
        workers = ", ".join(f"{n} {state}" for state, n in queue["workers"].items())
        out.print(
            f"queue {queue['queue']}: {queue['waiting']} waiting, {queue['running']} running; "
            f"workers: {workers or 'none seen'} ({queue['health']})"
        )


@app.command()
def status(
    submission_id: Annotated[int | None, typer.Argument(help="a submission id")] = None,
    watch: Annotated[bool, typer.Option(help="follow until it finishes or fails")] = False,
    interval: Annotated[float, typer.Option(help="seconds between looks")] = 3.0,
) -> None:
    """Your latest submissions, or one submission (with its results once scored)."""
    try:
        api = _api()
        if submission_id is None:
            table = Table("id", "status", "team", "track", "method", "created")
            for item in api.get("/api/v1/submissions/")[:20]:
                table.add_row(
                    str(item["id"]),
                    item["status"],
                    item["team"],
                    item["track"],
                    item["method_name"],
                    item["created_at"][:19],
                )
            out.print(table)
            _show_queues(api.get("/api/v1/status/"))
            return
        path = f"/api/v1/submissions/{submission_id}/"
        submission = api.get(path)
        last = None
        while watch and submission["status"] not in DONE:
            if submission["status"] != last:
                _show(submission)
                last = submission["status"]
            time.sleep(interval)
            submission = api.get(path)
        _show(submission)
        if submission["status"] == "finished":
            for result in api.get(path + "results/"):
                metrics = result["metrics"]
                shown = ", ".join(
                    f"{k} {_number(v)}" for k, v in metrics.items() if isinstance(v, float)
                )
                out.print(f"  {result['split']} ({result['visibility']}): {shown}")
    except (ApiError, requests.RequestException) as exc:
        _fail(exc)
    if submission["status"] == "failed":
        raise typer.Exit(1)


@app.command()
def logs(submission_id: Annotated[int, typer.Argument(help="a submission id")]) -> None:
    """The log tail of each run of one of your team's submissions."""
    try:
        data = _api().get(f"/api/v1/submissions/{submission_id}/logs/")
    except (ApiError, requests.RequestException) as exc:
        _fail(exc)
    if not data["runs"]:
        out.print(data["log_tail"] or "(no logs yet)")
    for run in data["runs"]:
        measured = run.get("measured")
        if measured:
            # A hidden split: only the platform's measurements, in bands; never the output.
            out.rule(f"{run['split']} (hidden): {measured['outcome']}")
            out.print(
                f"exit code {measured['exit']} · wall time {measured['wall_time']} · "
                f"peak memory {measured['peak_memory']} · written {measured['output']}",
                markup=False,
                highlight=False,
            )
            continue
        out.rule(f"{run['split']}: {run['outcome']} (exit {run['exit_code']})")
        out.print(run["log_tail"] or "(nothing printed)", markup=False, highlight=False)


@app.command()
def validate(
    image: Annotated[str, typer.Argument(help="a local image: name:tag or id")],
    track: Annotated[str, typer.Option(help="<benchmark>/<track>")],
    split: Annotated[str | None, typer.Option(help="a public split (default val)")] = None,
    gpu: Annotated[
        bool | None, typer.Option("--gpu/--no-gpu", help="override the track's GPU setting")
    ] = None,
) -> None:
    """Run IMAGE locally on the track's public val sample, exactly as the platform would.

    Reports every contract error and the val metrics. Nothing is uploaded; no quota is used.
    """
    from evaluator.cli import format_table

    from .validate import public_split, sample_fetch, validate_image

    try:
        api = _public_api()
        track_data = api.get(_track_path(track))
        chosen = public_split(track_data, split)
        with _bytes_progress() as progress:
            task = progress.add_task(f"sample {chosen['name']}", total=None)
            folder, downloaded = sample_fetch(
                api,
                track_data,
                chosen,
                config.cache_dir(),
                on_total=lambda total: progress.update(task, total=total),
                on_bytes=lambda n: progress.advance(task, n),
            )
            if not downloaded:
                progress.update(task, description="sample (cached)", total=1, completed=1)
        client = docker.from_env()
        client.images.get(image)
        err.print(f"running {image} on {track_data['id']} {chosen['name']} (no network)…")
        report = validate_image(client, image, folder, gpu=gpu)
    except docker.errors.ImageNotFound:
        _fail(ApiError("image_not_found", f"no local image {image!r}"))
    except (ApiError, requests.RequestException, docker.errors.DockerException) as exc:
        _fail(exc)
    outcome = report.outcome
    if outcome is not None:
        seconds = (
            (outcome.ended_at - outcome.started_at).total_seconds()
            if outcome.ended_at and outcome.started_at
            else 0.0
        )
        out.print(f"run: {outcome.outcome} (exit {outcome.exit_code}) in {seconds:.1f} s")
    if report.errors:
        out.print(f"[red]{len(report.errors)} contract error(s)[/red]")
        for code, message in zip(report.error_codes, report.errors, strict=True):
            out.print(f"[red]✗ {code}[/red]", highlight=False)
            out.print(message, markup=False, highlight=False)
        if outcome is not None and outcome.log_tail:
            out.rule("container log tail")
            out.print(outcome.log_tail[-4000:], markup=False, highlight=False)
        raise typer.Exit(1)
    assert report.result is not None
    out.print("[green]✓ predictions are valid[/green]")
    out.print(format_table(report.result), markup=False, highlight=False)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def score(ctx: typer.Context) -> None:
    """The offline scorer: `forgerybench score --task T --truth F --predictions P [--json]`."""
    from evaluator.cli import main as evaluator_main

    code = evaluator_main(["score", *ctx.args])
    raise typer.Exit(code)


def main() -> None:
    app()
