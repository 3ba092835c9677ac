"""What `python -m orchestrator.bench run` prints into a pipe (CI, `| tee`) is not cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.client.local_executor import LocalExecutor
from tests.support.bench_cli import bench, bench_env
from tests.support.llm_server import StandinLLM

pytestmark = pytest.mark.docker

REPLY = "```python\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\n```"


COLUMNS = {
    "ppb": ("reference protocol", "Model", "Error", "rate", "Visual", "Task", "good", "bad"),
    "lenient": ("Model", "Incorrect", "Visual", "Task", "code, %", "good, %", "bad, %"),
}


@pytest.mark.parametrize("protocol", list(COLUMNS))
def test_the_closing_table_and_progress_are_whole_in_a_pipe(
    executor: LocalExecutor, tmp_path: Path, protocol: str
) -> None:
    with StandinLLM(default_reply=REPLY) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, None, tmp_path)
        result = bench(env | {"PROTOCOL": protocol})
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout and "…" not in result.stderr
    for column in COLUMNS[protocol]:
        assert column in result.stdout
    assert "openai-compatible:standin-coder" in result.stdout
    assert "━" not in result.stderr  # plain progress lines, not a squeezed bar
    assert "generate 2/2" in result.stderr
