"""Fixtures of the adversarial battery: one hostile-facing executor service for the session,
the host facts attacks aim at, and what must stay unchanged on the host.

The executor under test honours EXECUTOR_SANDBOX__* from the environment, so the whole
battery runs under gVisor with `EXECUTOR_SANDBOX__RUNTIME=runsc` (see SECURITY.md).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import docker
import pytest

from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.docker.config import default_socket_root
from tests.security.battery import (
    HOST_SECRETS,
    RUNTIME,
    WAVES_RUN,
    Attack,
    HostBaseline,
    HostFacts,
    Wave,
    run_wave,
    summary_lines,
)
from tests.security.waves import FLEET, WaveRunner, Waves, host_ip
from tests.support.executors import start_executor

WATCHED_HOST_FILES = ("/etc/passwd", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname")


@pytest.fixture(scope="session")
def socket_root() -> Path:
    """Where the executor under test makes its per-sandbox socket directories."""
    return Path(os.environ.get("EXECUTOR_SANDBOX__SOCKET_ROOT", str(default_socket_root())))


@pytest.fixture(scope="session")
def hostile_executor(
    sandbox_image: str, tmp_path_factory: pytest.TempPathFactory, socket_root: Path
) -> Iterator[LocalExecutor]:
    """The real executor service, sized so a whole wave is queued rather than refused."""
    extra_env = {
        "EXECUTOR_MAX_CONCURRENCY": "4",
        "EXECUTOR_MAX_QUEUE": "64",
        "EXECUTOR_SANDBOX__SOCKET_ROOT": str(socket_root),
        **{k: v for k, v in os.environ.items() if k.startswith("EXECUTOR_SANDBOX__")},
        **HOST_SECRETS,
    }
    running = start_executor(
        tmp_path_factory.mktemp("hostile-executor"), fleet=FLEET, pool_size=4, extra_env=extra_env
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def probe_listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP listener on every host interface; yields its port and the peers that reached it."""
    peers: list[str] = []
    server = socket.create_server(("0.0.0.0", 0))
    server.settimeout(0.5)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            peers.append(str(peer))
            conn.close()

    thread = threading.Thread(target=accept, name="probe-listener", daemon=True)
    thread.start()
    yield server.getsockname()[1], peers
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="session")
def host_facts(
    docker_client: docker.DockerClient,
    hostile_executor: LocalExecutor,
    probe_listener: tuple[int, list[str]],
    socket_root: Path,
) -> HostFacts:
    bridge = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    return HostFacts(
        gateway=bridge.get("Gateway", "172.17.0.1"),
        host_ip=host_ip(),
        executor_port=int(hostile_executor.url.rsplit(":", 1)[1]),
        probe_port=probe_listener[0],
        socket_root=socket_root,
    )


@pytest.fixture(scope="session")
def host_baseline(tmp_path_factory: pytest.TempPathFactory) -> HostBaseline:
    canary = tmp_path_factory.mktemp("host") / "canary.bin"
    canary.write_bytes(os.urandom(4096))
    files = [Path(p) for p in WATCHED_HOST_FILES if Path(p).is_file()]
    return HostBaseline([canary, *files])


@pytest.fixture(scope="session")
def wave_runner(
    hostile_executor: LocalExecutor,
    docker_client: docker.DockerClient,
    socket_root: Path,
    host_baseline: HostBaseline,
) -> WaveRunner:
    def run(attacks: Sequence[Attack], canary_at: int | None = None) -> Wave:
        return run_wave(
            url=hostile_executor.url,
            token=hostile_executor.token,
            attacks=attacks,
            client=docker_client,
            fleet=FLEET,
            socket_root=socket_root / FLEET,
            baseline=host_baseline,
            canary_at=canary_at,
        )

    return run


@pytest.fixture(scope="session")
def waves(wave_runner: WaveRunner, host_facts: HostFacts) -> Waves:
    return Waves(wave_runner, host_facts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if WAVES_RUN:
        terminalreporter.section(f"adversarial battery under {RUNTIME}")
        for line in summary_lines(WAVES_RUN):
            terminalreporter.write_line(line)
