"""Shared by the pipeline tests: a running judge service and a way to call the bench CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from orchestrator.bench.records import ItemRecord
from orchestrator.client.local_executor import REPO, LocalExecutor
from orchestrator.common.processes import free_port
from tests.standins.llm_server import StandinLLM

FIXTURE_DATASET = REPO / "tests/fixtures/ppb_mini"  # items 3 (with ground truth) and 7


class RunningJudge:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token


@contextmanager
def serve_judge(tmp: Path) -> Iterator[RunningJudge]:
    """The real judge service as a process, its backend a stand-in vision model."""
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
