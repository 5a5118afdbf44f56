"""The agent's image size limits come from the same variables as the platform's."""

import pytest

from evaluator.image_tarball import DEFAULT_MAX_IMAGE_BYTES, ImageLimits
from runagent.config import AgentConfigError, load_config


@pytest.fixture
def agent_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORGERYBENCH_AGENT_PLATFORM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FORGERYBENCH_AGENT_TOKEN", "t")
    monkeypatch.setenv("FORGERYBENCH_AGENT_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FORGERYBENCH_AGENT_DIR", str(tmp_path))
    for name in ("FORGERYBENCH_IMAGE_MAX_BYTES", "FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_image_limits_default_to_the_platforms_and_follow_the_environment(
    agent_env,
) -> None:
    assert load_config().image_limits == ImageLimits()
    assert ImageLimits().max_bytes == DEFAULT_MAX_IMAGE_BYTES
    agent_env.setenv("FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES", "1048576")
    assert load_config().image_limits.max_unpacked_bytes == 1024**2
    agent_env.setenv("FORGERYBENCH_IMAGE_MAX_BYTES", "12k")
    with pytest.raises(AgentConfigError, match="FORGERYBENCH_IMAGE_MAX_BYTES"):
        load_config()
