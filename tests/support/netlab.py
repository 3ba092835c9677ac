"""Machines for the scaling tests: network namespaces on this host, each with its own address.

Every namespace is joined to the host by a veth pair of its own (a /30: host end .1, namespace
end .2), so an executor started inside answers only on its namespace address and the
dispatcher reaches it only over that link. All executors still share this host's Docker
engine, told apart by their sandbox fleet label. Needs root (`ip netns`).
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import docker

from orchestrator.client.local_executor import has_warm_sandbox
from orchestrator.common.processes import ServiceNotHealthy, stop_process, wait_until_healthy
from tests.support.paths import REPO

EXECUTOR_PORT = 8000


class LabError(RuntimeError):
    """The namespaces or an executor could not be set up; the message says why."""


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


def free_subnet() -> ipaddress.IPv4Network:
    """A 10.231.x.0/24 that no interface here uses (test sessions may run side by side)."""
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    start = os.getpid() % 200
    for offset in range(200):
        third = 20 + (start + offset) % 200
        if f"inet 10.231.{third}." not in used:
            return ipaddress.IPv4Network(f"10.231.{third}.0/24")
    raise LabError("no free 10.231.x.0/24 subnet for the test namespaces")


class Namespace:
    """A network namespace with one veth link to the host."""

    def __init__(self, tag: str, index: int, subnet: ipaddress.IPv4Network) -> None:
        pair = list(subnet.subnets(new_prefix=30))[index]
        self.name = f"ppb-{tag}-{index}"
        self.host_if, self.ns_if = f"ppb{tag}h{index}", f"ppb{tag}n{index}"
        self.host_address, self.address = (str(a) for a in list(pair.hosts())[:2])
        self.prefix = pair.prefixlen

    def create(self) -> None:
        _ip("netns", "add", self.name)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        _ip("link", "set", self.ns_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_address}/{self.prefix}", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("-n", self.name, "addr", "add", f"{self.address}/{self.prefix}", "dev", self.ns_if)
        _ip("-n", self.name, "link", "set", self.ns_if, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")

    def set_link(self, *, up: bool) -> None:
        """Cuts or restores the link at the namespace's end: a partition that answers nothing.

        The host keeps its route over the dead link, so packets are dropped there and never
        take the default route instead.
        """
        _ip("-n", self.name, "link", "set", self.ns_if, "up" if up else "down")

    def delete(self) -> None:
        """Removes the namespace and its link; safe to call when they are already gone."""
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)


class NetnsExecutor:
    """The real executor service as a process inside a namespace, on the namespace address."""

    def __init__(
        self,
        namespace: Namespace,
        log_dir: Path,
        *,
        fleet: str,
        token: str,
        pool_size: int,
        image: str,
    ) -> None:
        self.namespace = namespace
        self.fleet = fleet
        self.token = token
        self.url = f"http://{namespace.address}:{EXECUTOR_PORT}"
        self.log = log_dir / f"executor-{fleet}.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "EXECUTOR_TOKEN": token,
            "EXECUTOR_HOST": namespace.address,
            "EXECUTOR_PORT": str(EXECUTOR_PORT),
            "EXECUTOR_POOL_SIZE": str(pool_size),
            "EXECUTOR_MAX_CONCURRENCY": str(pool_size),
            "EXECUTOR_SANDBOX__FLEET": fleet,
            "EXECUTOR_SANDBOX__IMAGE": image,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Starts the service (it sweeps its fleet's leftovers first) and waits for it."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.namespace.name,
                    sys.executable,
                    "-m",
                    "orchestrator.executor",
                ],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_healthy(
                f"{self.url}/healthz", timeout_s=240, ready=has_warm_sandbox, process=self.process
            )
        except ServiceNotHealthy as exc:
            self.stop()
            raise LabError(
                f"executor {self.fleet} not ready ({exc}):\n{self.log.read_text()}"
            ) from exc

    def kill(self) -> None:
        """SIGKILL: the machine is gone without a goodbye; its sandboxes are left behind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM (the service removes its sandboxes), then a sweep of whatever is left."""
        if self.process is not None:
            stop_process(self.process, grace_s=60)
        sweep_fleet(self.fleet)


@dataclass
class Lab:
    small: NetnsExecutor  # 1 slot
    big: NetnsExecutor  # 2 slots
    token: str

    @property
    def urls(self) -> list[str]:
        return [self.small.url, self.big.url]


def sweep_fleet(fleet: str) -> None:
    client = docker.from_env()
    try:
        for container in client.containers.list(
            all=True, filters={"label": ["ppb.role=sandbox", f"ppb.fleet={fleet}"]}
        ):
            container.remove(force=True)
    finally:
        client.close()
