"""`make bench` judges whenever it can: with a judge backend's key and no JUDGE_URL, the run
starts its own judge service (the real one, over a stand-in vision model at the protocol
level), and its cache makes a second run of the same items cost no judge calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.bench.stats.models import Summary
from orchestrator.client.local_executor import LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.llm_server import StandinLLM

pytestmark = pytest.mark.docker

PLOT_REPLY = (
    "```python\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
    "plt.plot(df[df.columns[0]])\nplt.show()\n```\n"
)


def test_a_key_starts_a_judge_and_a_rerun_makes_no_judge_calls(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    with (
        StandinLLM(default_reply=PLOT_REPLY) as coder,
        StandinLLM(default_reply="[FINAL SCORE]: 70") as vision,
    ):
        env = bench_env(f"{coder.url}/v1", coder.api_key, executor, None, tmp_path / "first")
        env |= {
            # `make bench MODEL=gpt-4o` with OPENAI_API_KEY: the model and the paper's judge
            # backend, each at its stand-in (both take the stand-ins' one key)
            "MODEL": "gpt-4o",
            "OPENAI_BASE_URL": f"{coder.url}/v1",
            "OPENAI_API_KEY": coder.api_key,
            "JUDGE_BASE_URL": f"{vision.url}/v1",
            "JUDGE_CACHE_PATH": str(tmp_path / "judge-cache.sqlite3"),
        }
        first = bench(env)
        assert first.returncode == 0, first.stderr
        assert "starting a judge service" in first.stderr
        run_dir = only_run(tmp_path / "first")
        stored = {r.item_id: r for r in records(run_dir)}
        assert stored[3].visual.score == 70 and stored[3].task_score.score == 70
        assert stored[3].task_score.judge == "openai:gpt-4o-2024-05-13"
        summary = Summary.model_validate_json((run_dir / "summary.json").read_text())
        assert summary.judged and summary.config.judge_info is not None
        assert summary.config.judge_info.judge == "openai:gpt-4o-2024-05-13"
        assert summary.config.judge_info.started_by_run
        assert summary.config.judge_info.parameters == {"max_tokens": 3000, "temperature": 0.0}
        assert all(request.model == "gpt-4o-2024-05-13" for request in vision.requests)
        calls = len(vision.requests)
        assert calls >= 2

        second = bench(env | {"RESULTS_DIR": str(tmp_path / "second")})
        assert second.returncode == 0, second.stderr
        assert len(vision.requests) == calls  # every judgement came from the cache
        again = {r.item_id: r for r in records(only_run(tmp_path / "second"))}
        assert again[3].task_score.cached and again[3].task_score.score == 70


def test_judge_none_runs_without_judging(executor: LocalExecutor, tmp_path: Path) -> None:
    with StandinLLM(default_reply=PLOT_REPLY) as coder:
        env = bench_env(f"{coder.url}/v1", coder.api_key, executor, None, tmp_path)
        result = bench(env | {"OPENAI_API_KEY": "sk-unused", "JUDGE": "none", "IDS": "3"})
        assert result.returncode == 0, result.stderr
        assert "starting a judge service" not in result.stderr
        (record,) = records(only_run(tmp_path))
        assert record.task_score.reason == "not judged"


def test_a_judge_that_cannot_start_stops_the_run_naming_the_variable(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    with StandinLLM(default_reply=PLOT_REPLY) as coder:
        env = bench_env(f"{coder.url}/v1", coder.api_key, executor, None, tmp_path)
        result = bench(env | {"JUDGE_BACKEND": "anthropic", "JUDGE_API_KEY": "k", "IDS": "3"})
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert "JUDGE_MODEL" in error and "JUDGE=none" in error
