"""The fleet and the two unsandboxed baselines on the same snippets, in rounds, one path at
a time, with one executor running throughout (its warm pool idle while the baselines run)."""

from __future__ import annotations

import asyncio
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
    rounds: dict[str, list[Round]]  # by path: fleet, nbconvert, plain
    host_cpu_s: dict[str, list[float]]  # by path, per round: the machine's busy CPU time
    fleet_executing_s: list[float]  # per round: the fleet's executions inside their sandboxes
    warm_after: dict[str, int]  # the pool's warm sandboxes by library at the end


def run(workdir: Path, rounds: int, image: str, pool_size: int) -> SideBySide:
    times: dict[str, list[Round]] = {"fleet": [], "nbconvert": [], "plain": []}
    cpu: dict[str, list[float]] = {path: [] for path in times}
    executing = []
    with LocalExecutor(workdir, fleet="perf", pool_size=pool_size, image=image) as executor:
        for number in range(1, rounds + 1):
            # The pool refills after each fleet run: no baseline may share the CPUs with it.
            asyncio.run(settle(executor, pool_size))
            for path, measure in (("nbconvert", baselines.nbconvert), ("plain", baselines.plain)):
                progress(f"round {number}/{rounds}: {path}")
                cpu_before = busy_cpu_s()
                times[path].append({lib: measure(workdir, lib) for lib in LIBRARIES})
                cpu[path].append(busy_cpu_s() - cpu_before)
            progress(f"round {number}/{rounds}: fleet")
            measured = asyncio.run(fleet.batches(executor, pool_size))
            times["fleet"].append(measured.wall_s)
            cpu["fleet"].append(measured.host_cpu_s)
            executing.append(measured.executing_s)
        warm_after = asyncio.run(settle(executor, pool_size))
    return SideBySide(times, cpu, executing, warm_after)


async def settle(executor: LocalExecutor, pool_size: int) -> dict[str, int]:
    """Waits for a full, idle pool; returns its warm sandboxes by library."""
    async with ExecutorClient(executor.url, executor.token) as client:
        await fleet.settled(client, pool_size)
        return (await client.health()).warm_by_library
