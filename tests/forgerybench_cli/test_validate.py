"""`forgerybench validate` runs a real container with the platform's runner and validator."""

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


def test_validate_a_good_image_reports_val_metrics(
    cli, live_server, smoke_track, baseline_image
) -> None:
    baseline_image("highfreq")
    env = {"FORGERYBENCH_SERVER": live_server.url}
    args = ("validate", "forgerybench/baseline-highfreq:latest", "--track", "smoke-detect/image")
    result = cli(*args, **env)
    assert result.exit_code == 0, result.output
    assert "run: completed (exit 0)" in result.output
    assert "predictions are valid" in result.output
    assert "auc*" in result.output and "95% bootstrap interval" in result.output
    again = cli(*args, **env)
    assert again.exit_code == 0 and "sample (cached)" in again.output


def test_validate_names_the_contract_error(cli, live_server, smoke_track, test_image) -> None:
    test_image("dropper")  # predicts every id but the first
    result = cli(
        "validate",
        "forgerybench-test/dropper:latest",
        "--track",
        "smoke-detect/image",
        FORGERYBENCH_SERVER=live_server.url,
    )
    assert result.exit_code == 1, result.output
    assert "missing_id" in result.output and "ids expected but not predicted" in result.output


def test_validate_reports_a_crash_with_its_log(cli, live_server, smoke_track, test_image) -> None:
    test_image("crasher")
    result = cli(
        "validate",
        "forgerybench-test/crasher:latest",
        "--track",
        "smoke-detect/image",
        FORGERYBENCH_SERVER=live_server.url,
    )
    assert result.exit_code == 1, result.output
    assert "nonzero_exit" in result.output and "container log tail" in result.output


def test_validate_refuses_a_hidden_split(cli, live_server, smoke_track) -> None:
    result = cli(
        "validate",
        "forgerybench/baseline-sanity:latest",
        "--track",
        "smoke-detect/image",
        "--split",
        "test",
        FORGERYBENCH_SERVER=live_server.url,
    )
    assert result.exit_code == 2 and "split_not_public" in result.output
