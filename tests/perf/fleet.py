"""The fleet: the executor service (a LocalExecutor child process) and its warm pool, fed
each library's snippets as one batch (all of them at once), batches one after another, as a
run of the benchmark feeds it one library's items."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import ExecutionRequest, ExecutionStatus, Library
from sandbox_server.protocol import LIBRARIES
from tests.perf.host_cpu import busy_cpu_s
from tests.perf.snippets import CSV, cells

FILES = {"data.csv": base64.b64encode(CSV.encode()).decode()}


class FleetFailure(RuntimeError):
    """An execution failed or drew no PNG: the timing would not be of the same work."""


def batch_requests(library: Library) -> list[ExecutionRequest]:
    # "displayed", as the reference protocol reads only what the notebook displays.
    return [
        ExecutionRequest(code=code, files=FILES, library=library, capture="displayed")
        for code in cells(library)
    ]


async def settled(client: ExecutorClient, pool_size: int, timeout_s: float = 300.0) -> None:
    """Waits until the pool is full and idle, so no refill of the last batch overlaps what
    is measured next."""
    deadline = time.monotonic() + timeout_s
    while True:
        health = await client.health()
        if health.warm >= pool_size and health.starting == 0 and health.busy == 0:
            return
        if time.monotonic() > deadline:
            raise FleetFailure(f"the pool did not settle within {timeout_s:g} s: {health}")
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class FleetRound:
    wall_s: dict[Library, float]  # each library's batch, from submitting to its last result
    executing_s: float  # the sum of the executions' own durations, inside their sandboxes
    host_cpu_s: float  # the machine's busy CPU time over all the batches


async def batch(client: ExecutorClient, library: Library) -> tuple[float, float]:
    """The batch's wall time and the sum of its executions' durations."""
    started = time.perf_counter()
    results = await asyncio.gather(*(client.execute(r) for r in batch_requests(library)))
    elapsed = time.perf_counter() - started
    for result in results:
        if result.status != ExecutionStatus.OK or not result.images:
            raise FleetFailure(
                f"{library}: {result.status}, {len(result.images)} PNGs, {result.error}"
            )
    return elapsed, sum(result.duration_s for result in results)


async def batches(executor: LocalExecutor, pool_size: int) -> FleetRound:
    """Every library's batch, one after another, from a full, idle pool."""
    async with ExecutorClient(executor.url, executor.token) as client:
        await settled(client, pool_size)
        cpu_before = busy_cpu_s()
        timed = {library: await batch(client, library) for library in LIBRARIES}
        host_cpu_s = busy_cpu_s() - cpu_before
    return FleetRound(
        wall_s={library: wall for library, (wall, _) in timed.items()},
        executing_s=sum(executing for _, executing in timed.values()),
        host_cpu_s=host_cpu_s,
    )


def throughput(log_dir: Path, pool_size: int, image: str) -> float:
    """Executions per second over all the batches, with an executor of its own."""
    with LocalExecutor(
        log_dir, fleet=f"perf-pool{pool_size}", pool_size=pool_size, image=image
    ) as executor:
        measured = asyncio.run(batches(executor, pool_size))
    return sum(len(cells(library)) for library in LIBRARIES) / sum(measured.wall_s.values())
