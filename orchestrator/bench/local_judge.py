"""A judge service started for one run, as the run starts its own executor.

`make bench` judges whenever it can: with no JUDGE_URL, a judge backend's key in the
environment (OPENAI_API_KEY gives the paper's judge; JUDGE_BACKEND, JUDGE_MODEL and the
other JUDGE_* variables choose another) makes the run start `python -m judge` on loopback
with a random token, and stop it at the end. Its reply cache lives in the user cache, so
a rerun of the same items makes no judge calls. JUDGE=none turns this off.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from orchestrator.bench.errors import RunStopped
from orchestrator.bench.models.local.paths import REPO_ROOT, SHARED_CACHE_DIR
from orchestrator.common.processes import (
    ChildService,
    ServiceNotHealthy,
    free_port,
    kill_with_parent,
    stop_process,
    wait_until_healthy,
)

JUDGE_CACHE_PATH = SHARED_CACHE_DIR / "judge" / "judgements.sqlite3"
# The variable that holds each backend's key (JUDGE_API_KEY serves any of them).
BACKEND_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# Decided by the run, not passed on from the caller's environment.
OWN_SETTINGS = frozenset({"JUDGE_TOKEN", "JUDGE_HOST", "JUDGE_PORT", "JUDGE_URL"})


class JudgeStartFailed(RunStopped):
    """The judge the run started did not come up; the message holds the judge's own words."""


def judge_wanted(environ: Mapping[str, str]) -> bool:
    """Whether the environment configures a judge backend the run can start."""
    backend = environ.get("JUDGE_BACKEND") or "openai"
    if backend == "openai-compatible":
        return bool(environ.get("JUDGE_BASE_URL"))
    key = BACKEND_KEYS.get(backend)
    return bool(environ.get("JUDGE_API_KEY") or (key and environ.get(key)))


def judge_environment(
    environ: Mapping[str, str], *, token: str, port: int, instructs: Path | None
) -> dict[str, str]:
    """The judge's variables and keys from `environ`, and nothing else of it."""
    passed = {
        name: value
        for name, value in environ.items()
        if (name.startswith("JUDGE_") or name in BACKEND_KEYS.values()) and name not in OWN_SETTINGS
    }
    return {
        "PATH": environ.get("PATH", "/usr/bin:/bin"),
        "HOME": environ.get("HOME", "/root"),
        "JUDGE_CACHE_PATH": str(JUDGE_CACHE_PATH),
        **passed,
        **({"INSTRUCTS": str(instructs)} if instructs is not None else {}),
        "JUDGE_TOKEN": token,
        "JUDGE_HOST": "127.0.0.1",
        "JUDGE_PORT": str(port),
    }


class LocalJudge(ChildService):
    """`python -m judge` as a child process that dies with this one."""

    def __init__(
        self,
        log: Path,
        *,
        instructs: Path | None,
        environ: Mapping[str, str] | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.startup_timeout_s = startup_timeout_s
        self.env = judge_environment(
            os.environ if environ is None else environ,
            token=self.token,
            port=self.port,
            instructs=instructs,
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        """Starts the judge and waits for its health check; call it from the thread that
        lives as long as the run (the kernel kills the judge when that thread ends)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        Path(self.env["JUDGE_CACHE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "judge"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=kill_with_parent,
            )
        try:
            wait_until_healthy(
                f"{self.url}/healthz", timeout_s=self.startup_timeout_s, process=self.process
            )
        except ServiceNotHealthy as exc:
            self.stop()
            raise JudgeStartFailed(self._failure(exc)) from exc
        return self

    def _failure(self, exc: ServiceNotHealthy) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        said = next((line for line in lines if line.startswith("judge cannot start:")), None)
        if said is not None:  # a configuration error: the judge names the variable
            return f"{said} (or set JUDGE=none to run without judging)"
        tail = "\n".join(lines[-20:])
        return f"the judge started for this run is not healthy ({exc}); its log {self.log}:\n{tail}"

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace_s=15)
