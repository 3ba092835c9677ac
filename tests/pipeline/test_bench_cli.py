"""`python -m orchestrator.bench run` end to end: a model endpoint, the real executor service,
the real judge service, results on disk, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestrator.bench.records import ExecStatus, ItemOutcome, ItemRecord
from orchestrator.bench.summary_models import Summary
from orchestrator.local_executor import REPO, LocalExecutor, free_port
from tests.standins.llm_server import Reply, StandinLLM

pytestmark = pytest.mark.docker

FIXTURE_DATASET = REPO / "tests/fixtures/ppb_mini"  # items 3 (with ground truth) and 7
PLOT_REPLY = (
    "Here you go:\n```python\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
    'df = pd.read_csv("data.csv")\nplt.plot(df[df.columns[0]])\nplt.title("values")\n```\n'
)
PLOTLY_REPLY = "```python\nimport plotly.express as px\npx.line(df).show()\n```"


class RunningJudge:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token


@pytest.fixture(scope="module")
def judge_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJudge]:
    """The real judge service as a process, its backend a stand-in vision model."""
    tmp = tmp_path_factory.mktemp("judge")
    with StandinLLM(default_reply="The plot matches well.\n[FINAL SCORE]: 80") as vision:
        port, token = free_port(), "judge-token"
        env = {
            "PATH": os.environ["PATH"],
            "JUDGE_TOKEN": token,
            "JUDGE_BACKEND": "openai-compatible",
            "JUDGE_MODEL": "standin-vision",
            "JUDGE_BASE_URL": f"{vision.url}/v1",
            "JUDGE_API_KEY": vision.api_key,
            "JUDGE_HOST": "127.0.0.1",
            "JUDGE_PORT": str(port),
            "JUDGE_CACHE_PATH": str(tmp / "cache.sqlite3"),
        }
        with (tmp / "judge.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "judge"], cwd=REPO, env=env, stdout=log, stderr=log
            )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield RunningJudge(url, token)
        finally:
            process.terminate()
            process.wait(timeout=30)


def bench_env(
    llm: StandinLLM, executor: LocalExecutor, judge: RunningJudge | None, results: Path
) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "MODEL": "openai-compatible:standin-coder",
        "OPENAI_COMPATIBLE_BASE_URL": f"{llm.url}/v1",
        "OPENAI_COMPATIBLE_API_KEY": llm.api_key,
        "DATASET": str(FIXTURE_DATASET),
        "EXECUTORS": executor.url,
        "EXECUTOR_TOKEN": executor.token,
        "RESULTS_DIR": str(results),
        "TIMEOUT_S": "60",
    }
    if judge is not None:
        env |= {"JUDGE_URL": judge.url, "JUDGE_TOKEN": judge.token}
    return env


def bench(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.bench", *(extra or ("run",))],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def only_run(results: Path) -> Path:
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return run_dir


def records(run_dir: Path) -> list[ItemRecord]:
    lines = (run_dir / "items.jsonl").read_text().splitlines()
    return [ItemRecord.model_validate_json(line) for line in lines]


def test_run_scores_stores_and_resumes(
    executor: LocalExecutor, judge_service: RunningJudge, tmp_path: Path
) -> None:
    with StandinLLM(default_reply=PLOT_REPLY) as llm:
        env = bench_env(llm, executor, judge_service, tmp_path)
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


def test_wrong_library_scores_zero_without_asking_the_judge(
    executor: LocalExecutor, judge_service: RunningJudge, tmp_path: Path
) -> None:
    with StandinLLM(default_reply=PLOTLY_REPLY) as llm:
        result = bench(bench_env(llm, executor, judge_service, tmp_path) | {"IDS": "3"})
        assert result.returncode == 0, result.stderr
        (record,) = records(only_run(tmp_path))
        assert record.wrong_library
        summary = json.loads((only_run(tmp_path) / "summary.json").read_text())
        assert summary["stats"]["wrong_library_count"] == 1
        assert summary["stats"]["task"]["max"] == 0


def test_no_judge_means_null_scores_and_not_judged(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    with StandinLLM(default_reply="I cannot help with that.") as llm:
        result = bench(bench_env(llm, executor, None, tmp_path) | {"IDS": "7"})
        assert result.returncode == 0, result.stderr
        (record,) = records(only_run(tmp_path))
        assert record.execution is not None
        assert record.execution.status == ExecStatus.NO_CODE
        assert record.task_score.score is None
        summary = Summary.model_validate_json((only_run(tmp_path) / "summary.json").read_text())
        assert not summary.judged
        assert summary.stats.incorrect_code_pct == 100.0


def test_killed_run_resumes_without_losing_or_duplicating_items(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    slow = [Reply(PLOT_REPLY, delay_s=0.1), Reply(PLOT_REPLY, delay_s=30)]
    with StandinLLM(script=slow, default_reply=PLOT_REPLY) as llm:
        env = bench_env(llm, executor, None, tmp_path)
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
        "EXECUTORS": "http://127.0.0.1:9",
        "EXECUTOR_TOKEN": "x",
        "RESULTS_DIR": str(tmp_path),
    }
    result = bench(base | env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
