"""The bench CLI as a process, and what a run of it leaves in its results folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestrator.bench.records import ItemRecord
from orchestrator.client.local_executor import LocalExecutor
from tests.support.judge_process import RunningJudge
from tests.support.paths import FIXTURE_DATASET, REPO


def bench_env(
    model_url: str,
    model_key: str,
    executor: LocalExecutor,
    judge: RunningJudge | None,
    results: Path,
) -> dict[str, str]:
    """Settings for a run against an OpenAI-compatible model endpoint at `model_url`."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "MODEL": "openai-compatible:standin-coder",
        "OPENAI_COMPATIBLE_BASE_URL": model_url,
        "OPENAI_COMPATIBLE_API_KEY": model_key,
        "DATASET": str(FIXTURE_DATASET),
        # The fixture dataset has no copy of the reference's instructions (nor may the repo).
        "INSTRUCTS": "builtin",
        "EXECUTORS": executor.url,
        "EXECUTOR_TOKEN": executor.token,
        "RESULTS_DIR": str(results),
        "TIMEOUT_S": "60",
    }
    if judge is not None:
        env |= {"JUDGE_URL": judge.url, "JUDGE_TOKEN": judge.token}
    return env


def bench(
    env: dict[str, str], *extra: str, timeout_s: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.bench", *(extra or ("run",))],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def only_run(results: Path) -> Path:
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return run_dir


def records(run_dir: Path) -> list[ItemRecord]:
    lines = (run_dir / "items.jsonl").read_text().splitlines()
    return [ItemRecord.model_validate_json(line) for line in lines]
