"""Runs an executor service as a child process on loopback (for `make bench` and tests).

Used when no EXECUTORS are given: the benchmark starts its own executor with a random token
and stops it afterwards; stopping it removes every sandbox it made. It dies with this
process even when this one is killed (it watches our pid), and its sandboxes carry our pid
as their owner, so whatever a hard kill leaves behind, the next run's executor removes.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Self

import httpx

from orchestrator.common.processes import (
    ChildService,
    ServiceNotHealthy,
    free_port,
    process_owner,
    stop_process,
    wait_until_healthy,
)

REPO = Path(__file__).resolve().parents[2]


class LocalExecutorError(RuntimeError):
    """The local executor service did not come up; the message holds its log."""


def has_warm_sandbox(response: httpx.Response) -> bool:
    """An executor is ready once a sandbox is warm (the `warm` count of its /healthz)."""
    return response.status_code == 200 and int(response.json()["warm"]) >= 1


class LocalExecutor(ChildService):
    def __init__(
        self,
        log_dir: Path,
        *,
        fleet: str,
        pool_size: int = 2,
        image: str | None = None,
        extra_env: dict[str, str] | None = None,
        startup_timeout_s: float = 180.0,
    ) -> None:
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.fleet = fleet
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"executor-{fleet}.log"
        self.startup_timeout_s = startup_timeout_s
        # Only what the service needs: none of the caller's secrets reach it.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "EXECUTOR_TOKEN": self.token,
            "EXECUTOR_PORT": str(self.port),
            "EXECUTOR_POOL_SIZE": str(pool_size),
            "EXECUTOR_MAX_CONCURRENCY": str(pool_size),
            "EXECUTOR_SANDBOX__FLEET": fleet,
            "EXECUTOR_SANDBOX__OWNER": process_owner(os.getpid()),
            "EXECUTOR_PARENT_PID": str(os.getpid()),
            "EXECUTOR_SANDBOX__IMAGE": image
            or os.environ.get("SANDBOX_IMAGE", "ppb/sandbox:latest"),
            **({"DOCKER_HOST": os.environ["DOCKER_HOST"]} if "DOCKER_HOST" in os.environ else {}),
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestrator.executor"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_healthy(
                f"{self.url}/healthz",
                timeout_s=self.startup_timeout_s,
                ready=has_warm_sandbox,
                process=self.process,
            )
        except ServiceNotHealthy as exc:
            self.stop()
            raise LocalExecutorError(
                f"executor not healthy ({exc}):\n{self.log.read_text()}"
            ) from exc
        return self

    def stop(self) -> None:
        """SIGTERM (the service then removes its sandboxes), SIGKILL as a last resort."""
        if self.process is not None:
            stop_process(self.process, grace_s=60)
