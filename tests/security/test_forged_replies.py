"""The host does not trust the sandbox's reply (SECURITY.md, "Trust boundaries").

Model code runs as the same user as the in-container server, so it could take the server
over and answer the host itself. These cases start real, hardened sandbox containers whose
entrypoint is such a forger, through the real provider, and check that the host re-checks
every reply: a forged result can only change its own item, never lift a limit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import docker
import pytest

from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus
from orchestrator.executor.docker.config import SandboxConfig
from orchestrator.executor.docker.provider import DockerSandboxProvider
from orchestrator.executor.sandbox import SandboxUnavailable
from tests.security.battery import (
    LIMITS,
    SANDBOX_SETTINGS,
    HostBaseline,
    HostWatch,
    assert_canary_ok,
    canary_request,
    executor_client,
    host_problems,
)
from tests.security.waves import FLEET

pytestmark = [pytest.mark.security, pytest.mark.docker]

S = ExecutionStatus
# A stand-in for a hijacked sandbox server: answers the readiness check like the real one,
# then answers the execution with the reply named by its argument.
FORGER = r"""
import base64, io, json, os, socket, sys, time
from PIL import Image

def png(size, mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size, 1).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()

def ok(**fields):
    return json.dumps({"status": "ok", "images": [], "stdout": "", "stderr": "", **fields})

REPLIES = {
    "not-a-png": ok(images=[base64.b64encode(b"not a png").decode()]),
    "pixel-bomb": ok(images=[png((6000, 6000), "1")]),
    "stream-over-cap": ok(stdout="x" * (2 << 20)),
    "too-many-images": ok(images=[png((8, 8))] * 33),
    "over-reply-cap": ok(stdout="x" * (100 << 20)),
    "not-json": "{this is not json",
    "wrong-schema": json.dumps({"status": "pwned", "images": "all of them"}),
    "forged-ok": ok(images=[png((64, 48))], stdout="forged"),
}
mode = sys.argv[1]

def respond(conn, status, body):
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
    conn.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    conn.close()

def drip_forever(conn):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    while True:
        conn.sendall(b" ")
        time.sleep(1)

previous = os.umask(0o111)
server = socket.socket(socket.AF_UNIX)
server.bind("/run/sandbox/executor.sock")
server.listen()
os.umask(previous)
while True:
    conn, _ = server.accept()
    request = conn.recv(1 << 16)
    while b"\r\n\r\n" not in request:
        request += conn.recv(1 << 16)
    if request.startswith(b"GET /healthz") and mode == "dies-during-health-check":
        os._exit(1)
    if request.startswith(b"GET /healthz"):
        respond(conn, "200 OK", b'{"ready": true}')
        continue
    if mode == "http-500":
        respond(conn, "500 Internal Server Error", b'{"detail": "boom"}')
    elif mode == "never-finishes":
        drip_forever(conn)
    else:
        respond(conn, "200 OK", REPLIES.get(mode, ok()).encode())
    break
"""


class ForgerConfig(SandboxConfig):
    """The hardened sandbox settings, with the forger as the container's entrypoint."""

    forge: str

    def run_kwargs(
        self, name: str, socket_dir: Path, venv_volume: str | None = None
    ) -> dict[str, Any]:
        return super().run_kwargs(name, socket_dir, venv_volume) | {
            "entrypoint": ["python3", "-c", FORGER, self.forge]
        }


TIMEOUT_S = 30.0  # room to send a 100 MiB reply under gVisor
# forged reply -> (the status the host reports, text in the error's evalue)
CASES: dict[str, tuple[ExecutionStatus, str]] = {
    "not-a-png": (S.ERROR, "image 1 rejected: not a PNG"),
    "pixel-bomb": (S.ERROR, f"over the limit of {LIMITS.png_max_pixels} px"),
    "stream-over-cap": (S.ERROR, f"over {LIMITS.max_stream_bytes} bytes"),
    "too-many-images": (S.ERROR, f"more than {LIMITS.max_images} images"),
    "over-reply-cap": (S.ERROR, f"reply is over {LIMITS.max_reply_bytes} bytes"),
    "not-json": (S.CRASHED, "reply is malformed"),
    "wrong-schema": (S.CRASHED, "reply is malformed"),
    "http-500": (S.CRASHED, "answered HTTP 500"),
    "never-finishes": (S.TIMEOUT, f"ran past its {TIMEOUT_S:g} s limit"),
    "forged-ok": (S.OK, ""),
}
BOUND_S = TIMEOUT_S + 10.0  # the longest is the timeout plus the kill


def forger_provider(
    client: docker.DockerClient, image: str, socket_root: Path, mode: str
) -> DockerSandboxProvider:
    """The executor's own sandbox settings, with a forger inside."""
    config = ForgerConfig.model_validate(
        {
            "image": image,
            **SANDBOX_SETTINGS,
            "fleet": FLEET,
            "socket_root": socket_root,
            "forge": mode,
        }
    )
    return DockerSandboxProvider(config, client)


async def forge(
    client: docker.DockerClient, image: str, socket_root: Path, mode: str
) -> ExecutionResult:
    sandbox = await forger_provider(client, image, socket_root, mode).create()
    try:
        return await sandbox.execute(ExecutionRequest(code="print('hi')", timeout_s=TIMEOUT_S))
    finally:
        await sandbox.destroy()


@pytest.fixture(scope="module")
def forged(
    docker_client: docker.DockerClient,
    sandbox_image: str,
    socket_root: Path,
    hostile_executor: LocalExecutor,
    host_baseline: HostBaseline,
) -> tuple[dict[str, ExecutionResult], ExecutionResult, list[str]]:
    """Every forged reply at once, with a canary through the executor service."""
    before = host_baseline.snapshot()
    docker_root = Path(docker_client.info()["DockerRootDir"])

    async def go() -> list[ExecutionResult]:
        async with executor_client(hostile_executor.url, hostile_executor.token) as executor:
            jobs = [forge(docker_client, sandbox_image, socket_root, mode) for mode in CASES]
            return await asyncio.gather(executor.execute(canary_request()), *jobs)

    with HostWatch(docker_client, FLEET, socket_root / FLEET, docker_root) as watch:
        canary, *results = asyncio.run(go())
    used = [r.sandbox for r in [canary, *results] if r.sandbox]
    problems = host_problems(docker_client, host_baseline, before, used, watch)
    return dict(zip(CASES, results, strict=True)), canary, problems


@pytest.mark.parametrize("mode", list(CASES))
def test_forged_reply_is_checked_by_the_host(
    forged: tuple[dict[str, ExecutionResult], ExecutionResult, list[str]], mode: str
) -> None:
    results, canary, problems = forged
    result = results[mode]
    status, evalue = CASES[mode]
    assert result.status == status, result.error
    assert result.duration_s <= BOUND_S
    if evalue:
        assert result.error is not None and evalue in result.error.evalue, result.error
    else:  # a well-formed forgery is accepted, but only as this item's own result
        assert result.stdout == "forged" and len(result.images) == 1
    assert_canary_ok(canary)
    assert not problems, problems


@pytest.mark.anyio
async def test_a_sandbox_dying_at_its_health_check_is_an_unavailable_sandbox(
    docker_client: docker.DockerClient, sandbox_image: str, socket_root: Path
) -> None:
    """A start that fails is SandboxUnavailable, which the pool counts and retries; any
    other exception escapes the pool's refill task and leaks its start slot."""
    provider = forger_provider(
        docker_client, sandbox_image, socket_root, "dies-during-health-check"
    )
    with pytest.raises(SandboxUnavailable):
        await provider.create()
