from pathlib import Path

import pytest

from forgerybench_site.env import ConfigError, env_bool, env_float, env_int, env_list, env_str


def test_bad_values_fail_loudly_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_FLAG", "maybe")
    with pytest.raises(ConfigError, match="FB_FLAG='maybe' is not a boolean"):
        env_bool("FB_FLAG", False)
    monkeypatch.setenv("FB_NUMBER", "12kb")
    with pytest.raises(ConfigError, match="FB_NUMBER='12kb' is not an integer"):
        env_int("FB_NUMBER", 1)
    monkeypatch.setenv("FB_NUMBER", "3")
    with pytest.raises(ConfigError, match="below its minimum 8"):
        env_int("FB_NUMBER", 10, minimum=8)


def test_defaults_and_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FB_ABSENT", raising=False)
    assert env_bool("FB_ABSENT", True) is True
    assert env_int("FB_ABSENT", 7) == 7
    monkeypatch.setenv("FB_FLAG", "off")
    assert env_bool("FB_FLAG", True) is False
    monkeypatch.setenv("FB_HOSTS", "a.example, b.example,")
    assert env_list("FB_HOSTS", []) == ["a.example", "b.example"]


def test_secrets_are_read_from_name_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("FB_SECRET_FILE", str(secret))
    assert env_str("FB_SECRET", "") == "s3cret"
    monkeypatch.setenv("FB_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="FB_SECRET_FILE="):
        env_str("FB_SECRET", "")


def test_numbers_with_a_fraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FB_SECONDS", raising=False)
    assert env_float("FB_SECONDS", 1.0) == 1.0
    monkeypatch.setenv("FB_SECONDS", "0.25")
    assert env_float("FB_SECONDS", 1.0, minimum=0.01) == 0.25
    for bad, message in (("1s", "is not a number"), ("nan", "is not a finite number")):
        monkeypatch.setenv("FB_SECONDS", bad)
        with pytest.raises(ConfigError, match=f"FB_SECONDS='{bad}' {message}"):
            env_float("FB_SECONDS", 1.0)
    monkeypatch.setenv("FB_SECONDS", "0")
    with pytest.raises(ConfigError, match=r"FB_SECONDS=0 is below its minimum 0\.01"):
        env_float("FB_SECONDS", 1.0, minimum=0.01)
