"""A run-stopping error through the real CLI, executor and stand-in model: exit 2, one
message naming what to fix, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.client.local_executor import LocalExecutor
from tests.support.bench_cli import bench, bench_env
from tests.support.llm_server import StandinLLM

pytestmark = pytest.mark.docker


def test_a_refused_key_stops_the_run_with_one_message(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    with StandinLLM() as llm:
        env = bench_env(f"{llm.url}/v1", "wrong-key", executor, None, tmp_path)
        result = bench(env)
    assert llm.refused >= 1
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "ExceptionGroup" not in result.stderr
    message = result.stderr[result.stderr.index("error:") :]
    assert "OPENAI_COMPATIBLE_API_KEY" in message
    assert len(message.strip().splitlines()) <= 3
