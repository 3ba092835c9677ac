"""The real judge service as a `python -m judge` process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.common.processes import (
    ServiceNotHealthy,
    free_port,
    stop_process,
    wait_until_healthy,
)
from tests.support.llm_server import RecordedRequest, ScriptEntry, StandinLLM
from tests.support.paths import REPO


@contextmanager
def judge_process(settings: Mapping[str, str], log: Path) -> Iterator[str]:
    """The judge configured only by `settings` (its JUDGE_* and key variables); yields its
    URL once /healthz answers, and stops it on the way out."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        **settings,
        "JUDGE_HOST": "127.0.0.1",
        "JUDGE_PORT": str(port),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "judge"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(f"{url}/healthz", timeout_s=120, process=process)
        except ServiceNotHealthy as exc:
            raise RuntimeError(f"judge not healthy ({exc}):\n{log.read_text()}") from exc
        yield url
    finally:
        stop_process(process, grace_s=30)


@dataclass(frozen=True)
class RunningJudge:
    url: str
    token: str


@contextmanager
def serve_judge(
    tmp: Path, responder: Callable[[RecordedRequest], ScriptEntry] | None = None
) -> Iterator[RunningJudge]:
    """The judge with a stand-in vision model as its backend: every score 80, or what
    `responder` replies."""
    with StandinLLM(
        default_reply="The plot matches well.\n[FINAL SCORE]: 80", responder=responder
    ) as vision:
        token = "judge-token"
        settings = {
            "JUDGE_TOKEN": token,
            "JUDGE_BACKEND": "openai-compatible",
            "JUDGE_MODEL": "standin-vision",
            "JUDGE_BASE_URL": f"{vision.url}/v1",
            "JUDGE_API_KEY": vision.api_key,
            "JUDGE_CACHE_PATH": str(tmp / "cache.sqlite3"),
        }
        with judge_process(settings, tmp / "judge.log") as url:
            yield RunningJudge(url, token)
