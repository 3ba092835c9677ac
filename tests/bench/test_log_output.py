"""What a run prints outside a terminal (CI, `| tee`, a file) is readable in full."""

from __future__ import annotations

import asyncio
import io

import pytest

from orchestrator.bench import progress as progress_module
from orchestrator.bench.progress import output_console, progress_bars
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import run_table
from tests.bench.test_stats import MIXED, config

LONG_MODEL = "openai-compatible:qwen2.5-coder-1.5b-instruct-q4_k_m-with-a-long-suffix"


def test_tables_in_a_log_are_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    log = io.StringIO()
    summary = build_summary(config().model_copy(update={"model": LONG_MODEL}), MIXED)
    output_console(log).print(run_table(summary))
    text = log.getvalue()
    assert "…" not in text
    assert LONG_MODEL in text
    assert "Incorrect" in text


def test_columns_still_decides_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "123")
    assert output_console(io.StringIO()).width == 123


@pytest.mark.anyio
async def test_progress_in_a_log_is_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_S", 0.01)
    log = io.StringIO()
    async with progress_bars(output_console(log)) as progress:
        bar = progress.add_task("generate", total=10)
        progress.add_task("http://127.0.0.1:8000 up: 1/2 busy, 3 runs, 0 failures", total=None)
        progress.advance(bar, 3)
        await asyncio.sleep(0.1)
        progress.advance(bar, 7)
    lines = log.getvalue().splitlines()
    assert "━" not in log.getvalue() and "…" not in log.getvalue()
    assert any(line.startswith("generate 3/10") for line in lines)
    assert lines[-2].startswith("generate 10/10")
    assert lines[-1] == "http://127.0.0.1:8000 up: 1/2 busy, 3 runs, 0 failures"
