"""One sandbox container, reached over a unix socket (it has no network at all).

Everything the container says is treated as untrusted: its reply is read up to a cap and
checked by `check_reply`. Time is enforced from outside by killing the container, and an
OOM is read from Docker's own record of the container. Every call to the engine goes
through `engine_call`, so an engine failure is SandboxUnavailable, never a crash.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import docker.errors
import httpx
from docker.models.containers import Container

from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus, Library
from orchestrator.executor.docker.config import SandboxConfig
from orchestrator.executor.docker.engine import engine_call
from orchestrator.executor.reply_check import check_reply, failed
from orchestrator.executor.sandbox import Sandbox
from sandbox_server.protocol import EXECUTE_PATH, SOCKET_NAME


class DockerSandbox(Sandbox):
    def __init__(
        self,
        container: Container,
        socket_dir: Path,
        config: SandboxConfig,
        library: Library | None = None,
    ) -> None:
        self.name = container.name or container.id or "sandbox"
        self.library = library
        self.container = container
        self.socket_dir = socket_dir
        self.config = config
        self._destroyed = False

    def http(self) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_dir / SOCKET_NAME))
        return httpx.AsyncClient(transport=transport, base_url="http://sandbox")

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(self._post(request), timeout=request.timeout_s)
        except TimeoutError:
            await engine_call(self._kill)
            result = failed(
                ExecutionStatus.TIMEOUT,
                "Timeout",
                f"the code ran past its {request.timeout_s:g} s limit; the sandbox was killed",
            )
        except httpx.TransportError as exc:
            result = await self._fate(f"the sandbox went away mid-execution ({exc!r})")
        if result.status == ExecutionStatus.CRASHED and await engine_call(self._oom_killed):
            result.status = ExecutionStatus.OOM
        result.duration_s = round(time.monotonic() - started, 3)
        result.sandbox = self.name
        return result

    async def _post(self, request: ExecutionRequest) -> ExecutionResult:
        body = request.model_dump_json(include={"code", "files", "library", "timeout_s", "capture"})
        async with (
            self.http() as client,
            client.stream(
                "POST",
                EXECUTE_PATH,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=httpx.Timeout(None, connect=10.0),
            ) as response,
        ):
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.config.max_reply_bytes:
                    break  # refused by check_reply whatever the rest would say
        return check_reply(response.status_code, b"".join(chunks), self.config.reply_limits())

    async def _fate(self, what: str) -> ExecutionResult:
        """Why the sandbox stopped answering: OOM according to Docker, or a crash."""
        state = await engine_call(self._wait_exited, 5.0)
        if state.get("OOMKilled"):
            return failed(ExecutionStatus.OOM, "MemoryError", "the sandbox hit its memory limit")
        code = state.get("ExitCode")
        return failed(ExecutionStatus.CRASHED, "SandboxCrashed", f"{what}; exit code {code}")

    def _wait_exited(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.state()
            if not state.get("Running") or time.monotonic() > deadline:
                return state
            time.sleep(0.1)

    def state(self) -> dict[str, Any]:
        """Docker's State of the container ({} once it is gone)."""
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return {}
        state: dict[str, Any] = self.container.attrs.get("State", {})
        return state

    def _oom_killed(self) -> bool:
        return bool(self.state().get("OOMKilled"))

    def _kill(self) -> None:
        try:
            self.container.kill()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: it is not running any more
                raise

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        await engine_call(self._remove)

    def _remove(self) -> None:
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise
        shutil.rmtree(self.socket_dir, ignore_errors=True)
