from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.bench.settings import BenchSettings, UsageError


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
