"""Sandboxes as hardened Docker containers, reached over a unix socket (no network at all).

Each container gets its own host directory, bind-mounted at /run/sandbox, in which the
sandbox server creates `executor.sock` once its kernel is warm. Everything the container
says is treated as untrusted: its reply is size-capped, schema-checked, and every PNG is
validated again here. Time is enforced from outside by killing the container, and an OOM
is read from Docker's own record of the container.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import os
import shutil
import stat
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import docker.errors
import httpx
from docker.models.containers import Container
from docker.types import LogConfig, Ulimit
from pydantic import BaseModel, Field, ValidationError

from orchestrator.common.pngcheck import InvalidPng, PngLimits, validate_png
from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
)
from orchestrator.executor.sandbox import Sandbox, SandboxProvider, SandboxUnavailable

SOCKET_NAME = "executor.sock"
SANDBOX_UID = 10001
LABEL_ROLE = "ppb.role"
LABEL_FLEET = "ppb.fleet"


def default_socket_root() -> Path:
    """Where per-sandbox socket directories live: a root-owned or per-user runtime dir."""
    if os.geteuid() == 0:
        return Path("/run/ppb-sandboxes")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "ppb-sandboxes" if runtime else Path.home() / ".cache/ppb-sandboxes"


class SandboxConfig(BaseModel):
    """How sandbox containers are made. Every default is the hardened one."""

    image: str = "ppb/sandbox:latest"
    fleet: str = "default"  # label that scopes sweeps, so executors can share an engine
    runtime: str | None = None  # "runsc" runs the sandbox under gVisor
    memory: str = "1536m"
    cpus: float = 1.0
    cpuset: str | None = None
    pids_limit: int = 256
    nofile: int = 1024
    fsize_bytes: int = 256 * 1024 * 1024
    tmp_size: str = "256m"
    home_size: str = "128m"
    shm_size: str = "64m"
    socket_root: Path = Field(default_factory=lambda: default_socket_root())
    startup_timeout_s: float = 90.0
    max_reply_bytes: int = 96 * 1024 * 1024
    max_stream_bytes: int = 1024 * 1024
    max_images: int = 32
    png_max_bytes: int = 8 * 1024 * 1024
    png_max_pixels: int = 25_000_000

    def run_kwargs(self, name: str, socket_dir: Path) -> dict[str, Any]:
        """The docker SDK arguments for one sandbox container (see SECURITY.md)."""
        tmpfs_flags = "nosuid,nodev,noexec"
        kwargs: dict[str, Any] = {
            "name": name,
            "hostname": "sandbox",
            "labels": {LABEL_ROLE: "sandbox", LABEL_FLEET: self.fleet},
            "detach": True,
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {
                "/tmp": f"size={self.tmp_size},mode=1777,{tmpfs_flags}",  # noqa: S108 (in the container)
                "/home/sandbox": (
                    f"size={self.home_size},uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700,"
                    f"{tmpfs_flags}"
                ),
            },
            "volumes": {str(socket_dir): {"bind": "/run/sandbox", "mode": "rw"}},
            "user": f"{SANDBOX_UID}:{SANDBOX_UID}",
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "mem_limit": self.memory,
            "memswap_limit": self.memory,
            "nano_cpus": int(self.cpus * 1e9),
            "pids_limit": self.pids_limit,
            "ulimits": [
                Ulimit(name="nofile", soft=self.nofile, hard=self.nofile),
                Ulimit(name="fsize", soft=self.fsize_bytes, hard=self.fsize_bytes),
                Ulimit(name="core", soft=0, hard=0),
            ],
            "init": True,
            "ipc_mode": "private",
            "shm_size": self.shm_size,
            "oom_score_adj": 500,  # under host memory pressure, sandboxes die first
            "log_config": LogConfig(
                type=LogConfig.types.JSON, config={"max-size": "1m", "max-file": "1"}
            ),
            "environment": {
                "SANDBOX_MAX_STREAM_BYTES": str(self.max_stream_bytes),
                "SANDBOX_MAX_IMAGES": str(self.max_images),
            },
        }
        if self.cpuset:
            kwargs["cpuset_cpus"] = self.cpuset
        if self.runtime:
            kwargs["runtime"] = self.runtime
        return kwargs

    def png_limits(self) -> PngLimits:
        return PngLimits(max_bytes=self.png_max_bytes, max_pixels=self.png_max_pixels)


def _error(status: ExecutionStatus, ename: str, evalue: str) -> ExecutionResult:
    return ExecutionResult(status=status, error=ExecutionError(ename=ename, evalue=evalue))


class DockerSandbox(Sandbox):
    def __init__(self, container: Container, socket_dir: Path, config: SandboxConfig) -> None:
        self.name = container.name or container.id or "sandbox"
        self.container = container
        self.socket_dir = socket_dir
        self.config = config
        self._destroyed = False

    def _http(self) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_dir / SOCKET_NAME))
        return httpx.AsyncClient(transport=transport, base_url="http://sandbox")

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(self._post(request), timeout=request.timeout_s)
        except TimeoutError:
            await asyncio.to_thread(self._kill)
            result = _error(
                ExecutionStatus.TIMEOUT,
                "Timeout",
                f"the code ran past its {request.timeout_s:g} s limit; the sandbox was killed",
            )
        except httpx.TransportError as exc:
            result = await self._fate(f"the sandbox went away mid-execution ({exc!r})")
        if result.status == ExecutionStatus.CRASHED and await asyncio.to_thread(self._oom_killed):
            result.status = ExecutionStatus.OOM
        result.duration_s = round(time.monotonic() - started, 3)
        result.sandbox = self.name
        return result

    async def _post(self, request: ExecutionRequest) -> ExecutionResult:
        body = request.model_dump_json(include={"code", "files", "library", "timeout_s"})
        async with (
            self._http() as client,
            client.stream(
                "POST",
                "/execute",
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=httpx.Timeout(None, connect=10.0),
            ) as response,
        ):
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.config.max_reply_bytes:
                    return _error(
                        ExecutionStatus.ERROR,
                        "OutputLimitExceeded",
                        f"the sandbox reply is over {self.config.max_reply_bytes} bytes",
                    )
                chunks.append(chunk)
        if response.status_code != 200:
            return _error(
                ExecutionStatus.CRASHED,
                "SandboxProtocolError",
                f"the sandbox answered HTTP {response.status_code}",
            )
        return self._check_reply(b"".join(chunks))

    def _check_reply(self, body: bytes) -> ExecutionResult:
        """The reply comes from inside the sandbox: check it as hostile input."""
        try:
            result = ExecutionResult.model_validate_json(body)
        except ValidationError as exc:
            return _error(
                ExecutionStatus.CRASHED,
                "SandboxProtocolError",
                f"the sandbox reply is malformed: {exc.error_count()} schema errors",
            )
        if len(result.stdout.encode()) + len(result.stderr.encode()) > self.config.max_stream_bytes:
            return _error(
                ExecutionStatus.ERROR,
                "OutputLimitExceeded",
                f"stdout and stderr together over {self.config.max_stream_bytes} bytes",
            )
        if len(result.images) > self.config.max_images:
            return _error(
                ExecutionStatus.ERROR,
                "OutputLimitExceeded",
                f"more than {self.config.max_images} images",
            )
        limits = self.config.png_limits()
        for index, image in enumerate(result.images, start=1):
            try:
                validate_png(base64.b64decode(image, validate=True), limits)
            except (InvalidPng, binascii.Error, ValueError) as exc:
                return _error(
                    ExecutionStatus.ERROR,
                    "OutputLimitExceeded",
                    f"image {index} rejected: {exc}",
                )
        return result

    async def _fate(self, what: str) -> ExecutionResult:
        """Why the sandbox stopped answering: OOM according to Docker, or a crash."""
        state = await asyncio.to_thread(self._wait_exited, 5.0)
        if state.get("OOMKilled"):
            return _error(ExecutionStatus.OOM, "MemoryError", "the sandbox hit its memory limit")
        code = state.get("ExitCode")
        return _error(ExecutionStatus.CRASHED, "SandboxCrashed", f"{what}; exit code {code}")

    def _wait_exited(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            state = self._state()
            if not state.get("Running") or time.monotonic() > deadline:
                return state
            time.sleep(0.1)

    def _state(self) -> dict[str, Any]:
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return {}
        state: dict[str, Any] = self.container.attrs.get("State", {})
        return state

    def _oom_killed(self) -> bool:
        return bool(self._state().get("OOMKilled"))

    def _kill(self) -> None:
        with contextlib.suppress(docker.errors.APIError):  # already gone
            self.container.kill()

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        await asyncio.to_thread(self._remove)

    def _remove(self) -> None:
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise
        shutil.rmtree(self.socket_dir, ignore_errors=True)


class DockerSandboxProvider(SandboxProvider):
    def __init__(self, config: SandboxConfig, client: docker.DockerClient | None = None) -> None:
        self.config = config
        try:
            self.client = client or docker.from_env()
            self.client.ping()
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(
                f"cannot reach the Docker engine ({exc}); is the daemon running and is "
                "DOCKER_HOST (or /var/run/docker.sock) right?"
            ) from exc
        self.socket_root = config.socket_root / config.fleet
        self._check_setup()

    def _check_setup(self) -> None:
        try:
            self.client.images.get(self.config.image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"the sandbox image {self.config.image} is not built; run `make images`"
            ) from None
        if self.config.runtime:
            runtimes = self.client.info().get("Runtimes", {})
            if self.config.runtime not in runtimes:
                raise SandboxUnavailable(
                    f"the Docker runtime {self.config.runtime!r} is not installed "
                    f"(have: {', '.join(sorted(runtimes))}); see SECURITY.md for gVisor"
                )

    def describe(self) -> dict[str, str]:
        return {"runtime": self.config.runtime or "runc", "image": self.config.image}

    async def create(self) -> Sandbox:
        name = f"ppb-sbx-{self.config.fleet}-{uuid.uuid4().hex[:12]}"
        socket_dir = self.socket_root / name
        container = await asyncio.to_thread(self._start, name, socket_dir)
        sandbox = DockerSandbox(container, socket_dir, self.config)
        try:
            await self._wait_ready(sandbox)
        except BaseException:
            await sandbox.destroy()
            raise
        return sandbox

    def _start(self, name: str, socket_dir: Path) -> Container:
        self._prepare_root()
        socket_dir.mkdir()
        # The container's user must create its socket here; nothing else is in this dir.
        os.chmod(socket_dir, 0o777)  # noqa: S103
        try:
            container: Container = self.client.containers.run(
                self.config.image, **self.config.run_kwargs(name, socket_dir)
            )
            return container
        except docker.errors.DockerException as exc:
            shutil.rmtree(socket_dir, ignore_errors=True)
            raise SandboxUnavailable(f"could not start a sandbox container: {exc}") from exc

    def _prepare_root(self) -> None:
        """The socket root must be a real directory of ours, not somebody's symlink."""
        self.socket_root.mkdir(mode=0o711, parents=True, exist_ok=True)
        info = os.lstat(self.socket_root)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            raise SandboxUnavailable(
                f"{self.socket_root} is not a directory owned by this user; remove it or set "
                "EXECUTOR_SANDBOX__SOCKET_ROOT"
            )
        os.chmod(self.socket_root, 0o711)  # noqa: S103 (traversable, not listable)

    async def _wait_ready(self, sandbox: DockerSandbox) -> None:
        deadline = time.monotonic() + self.config.startup_timeout_s
        checks = 0
        while not await self._answers_health_check(sandbox):
            checks += 1
            if checks % 10 == 0:
                state = await asyncio.to_thread(sandbox._state)
                if not state.get("Running"):
                    logs = await asyncio.to_thread(sandbox.container.logs, tail=20)
                    raise SandboxUnavailable(
                        f"sandbox {sandbox.name} exited while starting: "
                        f"{logs.decode(errors='replace')[-2000:]}"
                    )
            if time.monotonic() > deadline:
                raise SandboxUnavailable(
                    f"sandbox {sandbox.name} was not ready within "
                    f"{self.config.startup_timeout_s:g} s"
                )
            await asyncio.sleep(0.1)
        # From here on no entry may be added: code could otherwise fill the host's disk
        # through this directory. The listening socket stays connectable.
        os.chmod(sandbox.socket_dir, 0o700)

    async def _answers_health_check(self, sandbox: DockerSandbox) -> bool:
        """False while its socket is missing or bound but not yet listening."""
        if not (sandbox.socket_dir / SOCKET_NAME).exists():
            return False
        try:
            async with sandbox._http() as client:
                response = await client.get("/healthz", timeout=10.0)
        except httpx.ConnectError:
            return False
        except httpx.HTTPError as exc:  # it died or hung between its socket and its answer
            raise SandboxUnavailable(
                f"sandbox {sandbox.name} did not answer its health check: {exc!r}"
            ) from exc
        if response.status_code != 200:
            raise SandboxUnavailable(f"sandbox {sandbox.name} failed its health check")
        return True

    async def sweep(self) -> int:
        return await asyncio.to_thread(self._sweep)

    def _sweep(self) -> int:
        filters: dict[str, str | list[str] | bool] = {
            "label": [f"{LABEL_ROLE}=sandbox", f"{LABEL_FLEET}={self.config.fleet}"]
        }
        removed = 0
        for container in self.client.containers.list(all=True, sparse=True, filters=filters):
            try:
                container.remove(force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if "already in progress" not in str(exc):
                    raise
        shutil.rmtree(self.socket_root, ignore_errors=True)
        return removed
