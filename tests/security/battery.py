"""How the adversarial battery runs hostile code and checks that the host came through.

Attacks run in waves: every attack of a test module is submitted to the real executor
service at once, with a benign canary job alongside every few of them, while a HostWatch
samples the host. After the wave, each case checks its own result and its canary, and the
wave checks that the host is as it was: files unchanged, no sandbox process left, every
container and socket directory removed, no network or volume made, Docker healthy.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from orchestrator.client.executor_client import ExecutorClient
from orchestrator.common.pngcheck import validate_png
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus
from orchestrator.executor.docker.config import SANDBOX_UID, VENV_PATH, SandboxConfig
from sandbox_server.protocol import SOCKET_DIR

# The executor under test is given every EXECUTOR_SANDBOX__* variable (conftest.py), so its
# limits are the defaults overridden by those.
SANDBOX_SETTINGS = {
    name.removeprefix("EXECUTOR_SANDBOX__").lower(): value
    for name, value in os.environ.items()
    if name.startswith("EXECUTOR_SANDBOX__")
}
LIMITS = SandboxConfig.model_validate(SANDBOX_SETTINGS)
RUNTIME = LIMITS.runtime or "runc"
GVISOR = RUNTIME.startswith("runsc")
# Stand-ins for the host's secrets: they are in the executor's environment and must never
# be visible to sandboxed code. The common prefix lets code search for them without them.
SENTINEL = "ppbsentinel"
HOST_SECRETS = {
    name: f"{SENTINEL}-{name.lower()}-{secrets.token_hex(8)}"
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "JUDGE_TOKEN", "HF_TOKEN")
}
# The socket directory holds one socket; anything bigger is sandbox data on the host disk.
SOCKET_DIR_MAX_BYTES = 64 * 1024
# Docker's json-file driver keeps the current log (max-size 1m) plus one rotated file.
CONTAINER_LOG_MAX_BYTES = 3 * 1024 * 1024
CANARY_CODE = (
    "import matplotlib.pyplot as plt\n"
    "plt.plot([1, 3, 2], color='tab:red')\n"
    "plt.title('canary')\n"
    "print('canary ok')\n"
)
CONTAINER_ID = re.compile(r"[0-9a-f]{64}")

ResultCheck = Callable[[ExecutionResult], None]


@dataclass(frozen=True)
class Attack:
    """One hostile job and what containing it looks like."""

    name: str
    code: str
    expect: ExecutionStatus
    bound_s: float  # the sandbox-side duration (result.duration_s) stays within this
    # Where gVisor contains the attack differently, the statuses it may give instead.
    under_gvisor: tuple[ExecutionStatus, ...] = ()
    timeout_s: float = 60.0
    ename: str | None = None
    stdout_has: tuple[str, ...] = ()
    check: ResultCheck | None = None
    files: Mapping[str, bytes] = field(default_factory=dict)  # placed in the working directory

    def expected(self) -> tuple[ExecutionStatus, ...]:
        return self.under_gvisor if GVISOR and self.under_gvisor else (self.expect,)

    def request(self) -> ExecutionRequest:
        files = {name: base64.b64encode(data).decode() for name, data in self.files.items()}
        return ExecutionRequest(code=self.code, files=files, timeout_s=self.timeout_s)


@dataclass(frozen=True)
class Outcome:
    attack: Attack
    result: ExecutionResult
    latency_s: float  # client-side, queueing included


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sandbox_processes() -> dict[int, str | None]:
    """Host PIDs owned by the sandbox uid, each with its container id (None: outside any)."""
    found: dict[int, str | None] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != SANDBOX_UID:
                continue
            cgroups = Path(entry.path, "cgroup").read_text()
        except OSError:
            continue  # it exited while we looked
        match = CONTAINER_ID.search(cgroups)
        found[int(entry.name)] = match.group(0) if match else None
    return found


def tree_bytes(root: Path, max_entries: int = 10_000) -> int:
    """Disk blocks under root, without following links (bounded: the tree is hostile)."""
    total = 0
    for count, (directory, dirs, files) in enumerate(os.walk(root)):
        for name in dirs + files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue
        if count > max_entries:
            break
    return total


def attachments(container: dict[str, Any]) -> list[str]:
    """Anything attached to a listed container besides its socket bind, its read-only venv
    volume and network "none"."""
    found = [
        f"a {m.get('Type')} mount at {m.get('Destination')} (rw={m.get('RW')})"
        for m in container.get("Mounts", [])
        if not is_socket_bind(m) and not is_venv_volume(m)
    ]
    networks = container.get("NetworkSettings", {}).get("Networks", {})
    found += [f"network {name}" for name in networks if name != "none"]
    return found


def is_socket_bind(mount: dict[str, Any]) -> bool:
    return mount.get("Type") == "bind" and mount.get("Destination") == str(SOCKET_DIR)


def is_venv_volume(mount: dict[str, Any]) -> bool:
    return (
        mount.get("Type") == "volume"
        and mount.get("Destination") == VENV_PATH
        and mount.get("RW") is False
        and str(mount.get("Name", "")).startswith("ppb-venv-")
    )


def fleet_resources(client: docker.DockerClient, fleet: str) -> list[tuple[str, str]]:
    """Networks and volumes named or labelled for the fleet (the executor makes none)."""
    found: list[tuple[str, str]] = []
    for kind, items in (("network", client.networks.list()), ("volume", client.volumes.list())):
        for item in items:
            name, labels = item.name or "", item.attrs.get("Labels") or {}
            if fleet in name or labels.get("ppb.fleet") == fleet:
                found.append((kind, name))
    return found


@dataclass
class HostWatch:
    """Samples, while a wave runs, what each of the fleet's sandboxes does on the host."""

    client: docker.DockerClient
    fleet: str
    socket_root: Path
    docker_root: Path
    interval_s: float = 0.5
    peak_processes: dict[str, int] = field(default_factory=dict)
    peak_socket_dir_bytes: dict[str, int] = field(default_factory=dict)
    peak_layer_bytes: dict[str, int] = field(default_factory=dict)
    peak_log_bytes: dict[str, int] = field(default_factory=dict)
    peak_host_processes: int = 0
    attachments: dict[str, list[str]] = field(default_factory=dict)  # volumes, networks

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="host-watch", daemon=True)

    def __enter__(self) -> HostWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            self.sample(with_sizes=tick % 4 == 0)
            tick += 1
            self._stop.wait(self.interval_s)

    @staticmethod
    def _raise(peaks: dict[str, int], name: str, value: int) -> None:
        peaks[name] = max(peaks.get(name, 0), value)

    def sample(self, *, with_sizes: bool) -> None:
        try:
            listed = self.client.api.containers(
                filters={"label": f"ppb.fleet={self.fleet}"}, size=with_sizes
            )
        except (docker.errors.DockerException, requests.RequestException):
            return  # a busy engine: skip this sample, the next one will do
        names = {c["Id"]: c["Names"][0].lstrip("/") for c in listed}
        for container in listed:
            name = names[container["Id"]]
            self.attachments.setdefault(name, attachments(container))
            if with_sizes:
                self._raise(self.peak_layer_bytes, name, int(container.get("SizeRw") or 0))
        processes = sandbox_processes()
        self.peak_host_processes = max(
            self.peak_host_processes, sum(1 for p in os.scandir("/proc") if p.name.isdigit())
        )
        for cid, name in names.items():
            self._raise(self.peak_processes, name, sum(1 for c in processes.values() if c == cid))
            self._raise(self.peak_socket_dir_bytes, name, tree_bytes(self.socket_root / name))
            self._raise(self.peak_log_bytes, name, self._log_bytes(cid))

    def _log_bytes(self, cid: str) -> int:
        total = 0
        for path in (self.docker_root / "containers" / cid).glob(f"{cid}-json.log*"):
            with contextlib.suppress(OSError):  # rotated or removed meanwhile
                total += path.stat().st_size
        return total


@dataclass(frozen=True)
class HostFacts:
    """The host's addresses and paths that attacks aim at."""

    gateway: str  # the default bridge's gateway address
    host_ip: str  # the host's address on its default route
    executor_port: int
    probe_port: int  # a listener on all host interfaces, standing in for any service
    socket_root: Path


@dataclass
class HostBaseline:
    """What must not change on the host while hostile code runs."""

    watched_files: Sequence[Path]

    def snapshot(self) -> dict[str, str]:
        return {str(path): digest(path) for path in self.watched_files}


@dataclass
class Wave:
    outcomes: dict[str, Outcome]
    canary: ExecutionResult  # a benign job submitted with the attacks
    canary_latency_s: float
    watch: HostWatch
    problems: list[str]


def stray_sandbox_processes(client: docker.DockerClient) -> dict[int, str | None]:
    """Sandbox-uid processes on the host that belong to no running container."""
    running = {c.id for c in client.containers.list(sparse=True)}
    return {pid: cid for pid, cid in sandbox_processes().items() if cid not in running}


def wait_gone(
    client: docker.DockerClient, names: Iterable[str], timeout_s: float = 60
) -> list[str]:
    """Waits for the pool's background removal; returns the containers still present."""
    pending = set(names)
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            try:
                client.containers.get(name)
            except docker.errors.NotFound:
                pending.discard(name)
        if pending:
            time.sleep(0.5)
    return sorted(pending)


def host_problems(
    client: docker.DockerClient,
    baseline: HostBaseline,
    before: dict[str, str],
    used: list[str],
    watch: HostWatch,
) -> list[str]:
    problems: list[str] = []
    left = wait_gone(client, used)
    problems += [f"container {name} was not removed" for name in left]
    problems += [
        f"socket directory {name} was not removed"
        for name in used
        if (watch.socket_root / name).exists()
    ]
    after = baseline.snapshot()
    problems += [f"host file {path} changed" for path in before if before[path] != after[path]]
    strays = stray_sandbox_processes(client)
    problems += [
        f"sandbox-uid process {pid} left on the host (cgroup {cid})" for pid, cid in strays.items()
    ]
    if not client.ping():
        problems.append("the Docker daemon does not answer ping")
    problems += [f"{name} had {what}" for name in used for what in watch.attachments.get(name, [])]
    problems += [
        f"{kind} {name} was made for the fleet"
        for kind, name in fleet_resources(client, watch.fleet)
    ]
    return problems


async def _run_all(
    client: ExecutorClient, attacks: Sequence[Attack], canary_at: int
) -> tuple[list[tuple[ExecutionResult, float]], tuple[ExecutionResult, float]]:
    async def timed(request: ExecutionRequest) -> tuple[ExecutionResult, float]:
        started = time.monotonic()
        result = await client.execute(request)
        return result, time.monotonic() - started

    requests = [attack.request() for attack in attacks]
    requests.insert(canary_at, canary_request())
    # Tasks start in this order, so the canary queues among the attacks.
    tasks = [asyncio.create_task(timed(request)) for request in requests]
    done = list(await asyncio.gather(*tasks))
    canary = done.pop(canary_at)
    return done, canary


def canary_request() -> ExecutionRequest:
    return ExecutionRequest(code=CANARY_CODE, timeout_s=60)


def executor_client(url: str, token: str) -> ExecutorClient:
    # Queueing behind a wave of hostile jobs is expected; the limit is on the code, not here.
    return ExecutorClient(url, token, overhead_s=900.0)


def run_wave(
    *,
    url: str,
    token: str,
    attacks: Sequence[Attack],
    client: docker.DockerClient,
    fleet: str,
    socket_root: Path,
    baseline: HostBaseline,
    canary_at: int | None = None,
) -> Wave:
    """Submits every attack at once, with a canary among them (by default in the middle),
    and checks the host afterwards."""
    if len({a.name for a in attacks}) != len(attacks):
        raise ValueError("attack names must be unique within a wave")
    before = baseline.snapshot()

    position = len(attacks) // 2 if canary_at is None else canary_at

    async def go() -> tuple[list[tuple[ExecutionResult, float]], tuple[ExecutionResult, float]]:
        async with executor_client(url, token) as executor:
            return await _run_all(executor, attacks, position)

    docker_root = Path(client.info()["DockerRootDir"])
    with HostWatch(client, fleet, socket_root, docker_root) as watch:
        done, (canary, canary_latency) = asyncio.run(go())
    outcomes = {
        attack.name: Outcome(attack, result, latency)
        for attack, (result, latency) in zip(attacks, done, strict=True)
    }
    results = [result for result, _ in done] + [canary]
    used = [result.sandbox for result in results if result.sandbox]
    problems = host_problems(client, baseline, before, used, watch)
    wave = Wave(outcomes, canary, canary_latency, watch, problems)
    WAVES_RUN.append(wave)
    return wave


WAVES_RUN: list[Wave] = []  # for the summary table at the end of the session


def summary_lines(waves: Iterable[Wave]) -> list[str]:
    """One line per case: its status against the expected one, and its duration and bound."""
    lines = [f"{'case':<34} {'status':<9} {'expected':<9} {'took':>7} {'bound':>6}  canary"]
    for wave in waves:
        canary = "ok" if wave.canary.status == ExecutionStatus.OK else wave.canary.status
        for name, outcome in wave.outcomes.items():
            result, attack = outcome.result, outcome.attack
            expected = "|".join(attack.expected())
            lines.append(
                f"{name:<34} {result.status:<9} {expected:<9} "
                f"{result.duration_s:>6.1f}s {attack.bound_s:>5.0f}s  {canary}"
            )
    return lines


def assert_canary_ok(canary: ExecutionResult) -> None:
    assert canary.status == ExecutionStatus.OK, f"the canary failed: {canary.error}"
    assert canary.stdout == "canary ok\n"
    assert len(canary.images) == 1
    validate_png(base64.b64decode(canary.images[0]))


def assert_contained(wave: Wave, name: str) -> ExecutionResult:
    """The checks every case makes: its status and bound, its canary, and the host."""
    outcome = wave.outcomes[name]
    attack, result = outcome.attack, outcome.result
    detail = f"{name}: {result.error}\nstdout: {result.stdout[-1500:]!r}"
    assert result.status in attack.expected(), detail
    assert result.duration_s <= attack.bound_s, f"{name} took {result.duration_s} s"
    if result.status == attack.expect:  # what the code reports, when it got to report it
        if attack.ename is not None:
            assert result.error is not None and result.error.ename == attack.ename, detail
        for text in attack.stdout_has:
            assert text in result.stdout, detail
        if attack.check is not None:
            attack.check(result)
    assert_canary_ok(wave.canary)
    assert not wave.problems, wave.problems
    sandbox = result.sandbox or ""
    assert wave.watch.peak_processes.get(sandbox, 0) <= LIMITS.pids_limit
    assert wave.watch.peak_socket_dir_bytes.get(sandbox, 0) <= SOCKET_DIR_MAX_BYTES, (
        f"{sandbox} put {wave.watch.peak_socket_dir_bytes[sandbox]} bytes on the host disk "
        "through its socket directory"
    )
    assert wave.watch.peak_layer_bytes.get(sandbox, 0) == 0, "the container layer was written"
    assert wave.watch.peak_log_bytes.get(sandbox, 0) <= CONTAINER_LOG_MAX_BYTES
    return result
