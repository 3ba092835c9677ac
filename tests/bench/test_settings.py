from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.bench.models.registry import resolve_model
from orchestrator.bench.settings import BenchSettings, UsageError, default_run_id


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIBRARY", "DESCRIPTOR", "TASK", "LIMIT"):
        monkeypatch.delenv(name, raising=False)
    settings = BenchSettings()
    assert (settings.library, settings.descriptor, settings.task) == ("matplotlib", "head", "full")
    assert settings.limit is None


def test_names_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBRARY", "plotly")
    monkeypatch.setenv("DESCRIPTOR", "lida")
    monkeypatch.setenv("TASK", "short")
    monkeypatch.setenv("LIMIT", "all")
    settings = BenchSettings()
    assert (settings.library, settings.descriptor, settings.task) == ("plotly", "lida", "short")
    assert settings.limit is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LIBRARY", "ggplot", "unknown plotting library 'ggplot'; known: matplotlib"),
        ("DESCRIPTOR", "fancy", "unknown descriptor 'fancy'; known: head, describe"),
        ("TASK", "long", "unknown task variant TASK=long; known: full, no_style"),
    ],
)
def test_unknown_names_list_the_known_ones(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        BenchSettings()


def test_a_judge_url_needs_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUDGE_TOKEN", raising=False)
    monkeypatch.delenv("JUDGE_URL", raising=False)
    assert BenchSettings().judge_access() is None
    monkeypatch.setenv("JUDGE_URL", "http://judge:8000")
    with pytest.raises(UsageError, match="set JUDGE_TOKEN"):
        BenchSettings().judge_access()
    monkeypatch.setenv("JUDGE_TOKEN", "secret")
    assert BenchSettings().judge_access() == ("http://judge:8000", "secret")


@pytest.mark.parametrize(
    ("env", "rounds", "timeout_s"),
    [
        ({}, 0, 60.0),
        ({"SELF_DEBUG": "2"}, 2, 60.0),
        ({"PROTOCOL": "viscoder"}, 3, 10.0),  # VisCoder's rounds and nbconvert timeout
        ({"PROTOCOL": "viscoder", "SELF_DEBUG": "0", "TIMEOUT_S": "30"}, 0, 30.0),
        ({"PROTOCOL": "lenient", "SELF_DEBUG": "1"}, 1, 60.0),
    ],
)
def test_self_debug_rounds_and_timeout_follow_the_protocol(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], rounds: int, timeout_s: float
) -> None:
    for name in ("PROTOCOL", "SELF_DEBUG", "TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = BenchSettings()
    assert (settings.debug_rounds, settings.execution_timeout_s) == (rounds, timeout_s)


@pytest.mark.parametrize("value", ["-1", "11", "three"])
def test_a_bad_self_debug_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SELF_DEBUG", value)
    with pytest.raises(ValidationError, match="SELF_DEBUG"):
        BenchSettings()


def test_self_debug_gives_a_run_of_its_own_and_keeps_old_run_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = resolve_model("qwen-coder-1.5b")
    for name in ("PROTOCOL", "SELF_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    plain = default_run_id(BenchSettings(), spec, [1, 2])
    monkeypatch.setenv("SELF_DEBUG", "0")
    assert default_run_id(BenchSettings(), spec, [1, 2]) == plain
    monkeypatch.setenv("SELF_DEBUG", "3")
    assert default_run_id(BenchSettings(), spec, [1, 2]) != plain
