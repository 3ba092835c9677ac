"""The fleet and the two unsandboxed baselines on the same snippets, in rounds, one path at
a time, with one executor running throughout (its warm pool idle while the baselines run)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import Library
from sandbox_server.protocol import LIBRARIES
from tests.perf import baselines, fleet
from tests.perf.host_cpu import busy_cpu_s
from tests.perf.progress import progress

Round = dict[Library, float]  # one round of a path: each library's wall time (s)


@dataclass(frozen=True)
class SideBySide:
    rounds: dict[str, list[Round]]  # by path: the FLEETS, nbconvert, plain
    host_cpu_s: dict[str, list[float]]  # by path, per round: the machine's busy CPU time
    fleet_executing_s: list[float]  # per round: the fleet's executions inside their sandboxes
    warm_after: dict[str, int]  # the pool's warm sandboxes by library at the end


# The fleet as configured, and beside it with one route turned off, so that route's worth
# is measured in the same run (issue 14: "measure each; keep what pays").
FLEETS: dict[str, dict[str, str]] = {
    "fleet": {},
    "fleet, venv from the image": {"EXECUTOR_SANDBOX__SHARED_VENV": "false"},
}


def run(workdir: Path, rounds: int, image: str, pool_size: int) -> SideBySide:
    times: dict[str, list[Round]] = {path: [] for path in (*FLEETS, "nbconvert", "plain")}
    cpu: dict[str, list[float]] = {path: [] for path in times}
    executing = []
    with contextlib.ExitStack() as stack:
        executors = {
            path: stack.enter_context(
                LocalExecutor(
                    workdir, fleet=f"perf{number}", pool_size=pool_size, image=image, extra_env=env
                )
            )
            for number, (path, env) in enumerate(FLEETS.items())
        }
        for number in range(1, rounds + 1):
            # Pools refill after each fleet run: no other path may share the CPUs with that.
            settle_all(executors.values(), pool_size)
            for path, measure in (("nbconvert", baselines.nbconvert), ("plain", baselines.plain)):
                progress(f"round {number}/{rounds}: {path}")
                cpu_before = busy_cpu_s()
                times[path].append({lib: measure(workdir, lib) for lib in LIBRARIES})
                cpu[path].append(busy_cpu_s() - cpu_before)
            for path, executor in executors.items():
                settle_all(executors.values(), pool_size)
                progress(f"round {number}/{rounds}: {path}")
                measured = asyncio.run(fleet.batches(executor, pool_size))
                times[path].append(measured.wall_s)
                cpu[path].append(measured.host_cpu_s)
                if path == "fleet":
                    executing.append(measured.executing_s)
        warm_after = settle_all(executors.values(), pool_size)
    return SideBySide(times, cpu, executing, warm_after)


def settle_all(executors: Iterable[LocalExecutor], pool_size: int) -> dict[str, int]:
    """Waits for every pool to be full and idle; returns the main fleet's warm sandboxes by
    library (the first executor's)."""
    warm = [asyncio.run(settle(executor, pool_size)) for executor in executors]
    return warm[0]


async def settle(executor: LocalExecutor, pool_size: int) -> dict[str, int]:
    """Waits for a full, idle pool; returns its warm sandboxes by library."""
    async with ExecutorClient(executor.url, executor.token) as client:
        await fleet.settled(client, pool_size)
        return (await client.health()).warm_by_library
