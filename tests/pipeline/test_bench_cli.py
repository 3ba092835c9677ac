"""`python -m orchestrator.bench run` end to end: a model endpoint, the real executor service,
the real judge service, results on disk, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.bench.records import ExecStatus, ItemOutcome
from orchestrator.bench.stats.models import Summary
from orchestrator.client.local_executor import REPO, LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.judge_process import RunningJudge
from tests.support.llm_server import Reply, StandinLLM
from tests.support.paths import FIXTURE_DATASET

pytestmark = pytest.mark.docker

PLOT_REPLY = (
    "Here you go:\n```python\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
    'df = pd.read_csv("data.csv")\nplt.plot(df[df.columns[0]])\nplt.title("values")\n```\n'
)
PLOTLY_REPLY = "```python\nimport plotly.express as px\npx.line(df).show()\n```"


def test_run_scores_stores_and_resumes(
    executor: LocalExecutor, judge_service: RunningJudge, tmp_path: Path
) -> None:
    with StandinLLM(default_reply=PLOT_REPLY) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, judge_service, tmp_path)
        first = bench(env)
        assert first.returncode == 0, first.stderr
        run_dir = only_run(tmp_path)
        stored = {r.item_id: r for r in records(run_dir)}
        assert set(stored) == {3, 7}
        with_truth, without = stored[3], stored[7]
        assert with_truth.outcome == ItemOutcome.DONE
        assert with_truth.execution is not None
        assert with_truth.execution.status == ExecStatus.OK
        assert with_truth.execution.executor == executor.url
        assert len(with_truth.images) == 1
        assert 'pd.read_csv("data.csv")' not in with_truth.code
        assert (with_truth.visual.score, with_truth.task_score.score) == (80, 80)
        assert without.visual.score is None and without.task_score.score == 80
        summary = Summary.model_validate_json((run_dir / "summary.json").read_text())
        assert summary.judged and summary.stats.items == 2
        assert summary.stats.visual.not_scored == 1 and summary.stats.visual.scored == 1
        assert (run_dir / "report.html").stat().st_size > 1000
        assert "report:" in first.stdout
        calls = len(llm.requests)
        # The same command again resumes: nothing new is generated or written.
        second = bench(env)
        assert second.returncode == 0, second.stderr
        assert len(llm.requests) == calls
        assert len(records(run_dir)) == 2
        # Re-judging the stored plots is free: every judgement comes from the judge's cache.
        again = bench(env, "rejudge", str(run_dir))
        assert again.returncode == 0, again.stderr
        rejudged = {r.item_id: r for r in records(run_dir)}
        assert rejudged[3].visual.cached and rejudged[3].task_score.cached
        assert rejudged[3].visual.score == 80


def test_wrong_library_scores_zero_without_asking_the_judge(
    executor: LocalExecutor, judge_service: RunningJudge, tmp_path: Path
) -> None:
    with StandinLLM(default_reply=PLOTLY_REPLY) as llm:
        result = bench(
            bench_env(f"{llm.url}/v1", llm.api_key, executor, judge_service, tmp_path)
            | {"IDS": "3"}
        )
        assert result.returncode == 0, result.stderr
        (record,) = records(only_run(tmp_path))
        assert record.wrong_library
        summary = json.loads((only_run(tmp_path) / "summary.json").read_text())
        assert summary["stats"]["wrong_library_count"] == 1
        assert summary["stats"]["task"]["max"] == 0


@pytest.mark.parametrize(
    ("protocol", "status", "ename"),
    [
        # the reference runs the cell anyway: its reset line finds no `plt`
        ("ppb", ExecStatus.ERROR, "NameError"),
        ("lenient", ExecStatus.NO_CODE, None),
    ],
)
def test_no_judge_means_null_scores_and_not_judged(
    executor: LocalExecutor, tmp_path: Path, protocol: str, status: ExecStatus, ename: str | None
) -> None:
    with StandinLLM(default_reply="I cannot help with that.") as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, None, tmp_path)
        result = bench(env | {"IDS": "7", "PROTOCOL": protocol})
        assert result.returncode == 0, result.stderr
        (record,) = records(only_run(tmp_path))
        assert record.execution is not None
        assert (record.execution.status, record.execution.ename) == (status, ename)
        assert record.task_score.score is None
        summary = Summary.model_validate_json((only_run(tmp_path) / "summary.json").read_text())
        assert not summary.judged
        assert summary.stats.incorrect_code_pct == 100.0


def test_killed_run_resumes_without_losing_or_duplicating_items(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    slow = [Reply(PLOT_REPLY, delay_s=0.1), Reply(PLOT_REPLY, delay_s=30)]
    with StandinLLM(script=slow, default_reply=PLOT_REPLY) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, None, tmp_path)
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.bench", "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        items = tmp_path.glob("*/items.jsonl")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            written = [p for p in items if p.stat().st_size > 0]
            if written:
                break
            items = tmp_path.glob("*/items.jsonl")
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert len(records(only_run(tmp_path))) == 1
        resumed = bench(env)
        assert resumed.returncode == 0, resumed.stderr
        assert sorted(r.item_id for r in records(only_run(tmp_path))) == [3, 7]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODEL": "gpt-5-turbo-max"}, "known aliases"),
        ({"MODEL": "llama-70b", "OPENAI_COMPATIBLE_BASE_URL": ""}, "OPENAI_COMPATIBLE_BASE_URL"),
        ({"MODEL": "gpt-4o"}, "OPENAI_API_KEY"),
        ({"DATASET": "/nonexistent/ppb"}, "/nonexistent/ppb"),
        ({"IDS": "3,999"}, "999"),
        ({"LIBRARY": "ggplot"}, "ggplot"),
        ({"DESCRIPTOR": "fancy"}, "fancy"),
        ({"TASK": "long"}, "long"),
        ({"EXECUTORS": "http://127.0.0.1:9", "EXECUTOR_TOKEN": "x"}, "127.0.0.1:9"),
    ],
)
def test_bad_settings_fail_with_a_clear_message(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    base = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "MODEL": "openai-compatible:x",
        "OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_COMPATIBLE_API_KEY": "x",
        "DATASET": str(FIXTURE_DATASET),
        "INSTRUCTS": "builtin",
        "EXECUTORS": "http://127.0.0.1:9",
        "EXECUTOR_TOKEN": "x",
        "RESULTS_DIR": str(tmp_path),
    }
    result = bench(base | env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
