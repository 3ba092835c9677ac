"""The warm pool on its own, over a scripted sandbox provider: no Docker engine needed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus
from orchestrator.executor.pool import WarmPool
from orchestrator.executor.sandbox import PoolSaturated, SandboxUnavailable
from tests.support.fake_sandbox import RUNTIME, FakeSandboxProvider, Fate
from tests.support.waiting import until

pytestmark = pytest.mark.anyio

REQUEST = ExecutionRequest(code="print(1)", timeout_s=20)


@asynccontextmanager
async def started(provider: FakeSandboxProvider, **options: Any) -> AsyncIterator[WarmPool]:
    pool = WarmPool(provider, **{"size": 1, "max_concurrency": 1, "max_queue": 0, **options})
    await pool.start()
    try:
        yield pool
    finally:
        await pool.close()


async def test_start_sweeps_then_warms_up_to_size() -> None:
    provider = FakeSandboxProvider(start_delay_s=0.02)
    async with started(provider, size=3, max_concurrency=3, start_concurrency=2) as pool:
        assert provider.sweeps == 1
        assert (pool.health().warm, pool.health().starting) == (0, 3)
        await until(lambda: pool.health().warm == 3, "three warm sandboxes")
        health = pool.health()
        assert (health.starting, health.busy, health.capacity) == (0, 0, 3)
        assert health.status == "ok"
        assert (health.runtime, health.image) == (RUNTIME["runtime"], RUNTIME["image"])
        assert provider.created == 3
        assert provider.peak_starting == 2


async def test_each_execution_gets_a_fresh_sandbox_destroyed_after() -> None:
    provider = FakeSandboxProvider()
    async with started(provider) as pool:
        used = []
        for _ in range(3):
            result = await pool.run(REQUEST)
            assert result.status == ExecutionStatus.OK
            used.append(result.sandbox)
            await until(lambda: used[-1] not in provider.live, "the used sandbox removed")
        assert len(set(used)) == 3
        assert [name for name, _ in provider.executions] == used
        assert all(request == REQUEST for _, request in provider.executions)
        await until(lambda: pool.health().warm == 1, "a replacement warm")
        assert (provider.created, provider.destroyed) == (4, 3)
        assert pool.health().executions == 3


async def test_concurrent_executions_never_share_a_sandbox() -> None:
    provider = FakeSandboxProvider(start_delay_s=0.01)
    async with started(provider, max_concurrency=3, max_queue=3) as pool:
        results = await asyncio.gather(*(pool.run(REQUEST) for _ in range(6)))
        names = [result.sandbox for result in results]
        assert len(set(names)) == 6
        assert provider.peak_running <= 3
        await until(lambda: len(provider.live) == pool.health().warm, "used sandboxes removed")


async def test_past_max_queue_the_pool_is_saturated_and_says_when_to_retry() -> None:
    provider = FakeSandboxProvider(script=[Fate.HANG])
    async with started(provider, max_concurrency=1, max_queue=1) as pool:
        running = asyncio.create_task(pool.run(REQUEST))
        await until(lambda: provider.running == 1, "the first execution running")
        queued = asyncio.create_task(pool.run(REQUEST))
        await until(lambda: pool.health().queued == 1, "the second execution queued")
        health = pool.health()
        assert (health.busy, health.queued, health.capacity) == (1, 1, 0)
        with pytest.raises(PoolSaturated) as refused:
            await pool.run(REQUEST)
        assert refused.value.retry_after_s == 5  # a quarter of the request's timeout
        provider.release_hung()
        assert (await running).status == ExecutionStatus.OK
        assert (await queued).status == ExecutionStatus.OK
        health = pool.health()
        assert (health.busy, health.queued, health.capacity, health.executions) == (0, 0, 1, 2)


async def test_without_a_queue_a_busy_pool_refuses_at_once() -> None:
    provider = FakeSandboxProvider(script=[Fate.HANG])
    async with started(provider) as pool:
        running = asyncio.create_task(pool.run(REQUEST))
        await until(lambda: provider.running == 1, "the execution running")
        with pytest.raises(PoolSaturated) as refused:
            await pool.run(ExecutionRequest(code="print(2)", timeout_s=2))
        assert refused.value.retry_after_s == 1
        provider.release_hung()
        await running
    assert len(provider.executions) == 1


async def test_a_failed_start_gives_its_slot_back() -> None:
    provider = FakeSandboxProvider(start_failures=1)
    async with started(provider, size=2, max_concurrency=2, start_concurrency=1) as pool:
        # Well before the failed start's 2 s back-off: the queued start got the slot.
        await until(lambda: pool.health().warm == 1, "the second start done", limit_s=1.0)
        assert (provider.starts, provider.created) == (2, 1)
        assert pool.health().status == "ok"
        assert (await pool.run(REQUEST)).status == ExecutionStatus.OK


async def test_failing_starts_degrade_health_and_fail_executions_as_infra() -> None:
    # every start fails for the whole test: the pool may retry hundreds of times in it
    provider = FakeSandboxProvider(start_failures=10**9)
    async with started(provider, acquire_timeout_s=0.1) as pool:
        await until(lambda: pool.health().status == "degraded", "degraded health")
        started_at = time.monotonic()
        with pytest.raises(SandboxUnavailable, match=r"within 0\.1 s.*scripted start failure") as e:
            await pool.run(REQUEST)
        assert not isinstance(e.value, PoolSaturated)
        assert time.monotonic() - started_at < 1.0
        assert pool.health().starting + pool.health().warm <= 2  # starts do not pile up
        assert (pool.health().executions, provider.created) == (0, 0)


async def test_a_failing_engine_is_retried_after_a_pause_not_in_a_loop() -> None:
    """Executions waiting for a sandbox must not turn each failed start into another."""
    failures = 10**9
    provider = FakeSandboxProvider(start_failures=failures)
    async with started(provider, acquire_timeout_s=0.5) as pool:
        with pytest.raises(SandboxUnavailable):
            await pool.run(REQUEST)
        attempts = failures - provider.start_failures
    # one pool place and one waiter, each retried once per START_RETRY_DELAY_S (2 s)
    assert attempts <= 2, f"{attempts} starts in 0.5 s"


async def test_a_sandbox_that_dies_is_an_infra_error_and_is_replaced() -> None:
    provider = FakeSandboxProvider(script=[Fate.DIES])
    async with started(provider) as pool:
        with pytest.raises(SandboxUnavailable, match="went away"):
            await pool.run(REQUEST)
        (dead, _) = provider.executions[0]
        await until(lambda: dead not in provider.live, "the dead sandbox removed")
        health = pool.health()
        assert (health.executions, health.failures, health.busy) == (0, 0, 0)
        assert (await pool.run(REQUEST)).status == ExecutionStatus.OK


async def test_failed_code_is_a_result_and_counts_as_a_failure() -> None:
    script = [
        ExecutionResult(status=ExecutionStatus.ERROR),
        ExecutionResult(status=ExecutionStatus.TIMEOUT),
    ]
    provider = FakeSandboxProvider(script=script)
    async with started(provider) as pool:
        statuses = [(await pool.run(REQUEST)).status for _ in range(3)]
        assert statuses == [ExecutionStatus.ERROR, ExecutionStatus.TIMEOUT, ExecutionStatus.OK]
        assert (pool.health().executions, pool.health().failures) == (3, 2)


async def test_close_destroys_every_warm_sandbox_and_sweeps() -> None:
    provider = FakeSandboxProvider()
    async with started(provider, size=2, max_concurrency=2) as pool:
        await until(lambda: pool.health().warm == 2, "two warm sandboxes")
    assert provider.live == []
    assert (provider.created, provider.destroyed, provider.sweeps) == (2, 2, 2)


async def test_close_cancels_starts_in_flight_and_refuses_new_work() -> None:
    provider = FakeSandboxProvider(start_delay_s=30)
    pool = WarmPool(provider, size=2, max_concurrency=1, max_queue=0)
    await pool.start()
    await until(lambda: provider.starts == 2, "two starts under way")
    await asyncio.wait_for(pool.close(), timeout=2)
    assert (provider.created, provider.live) == (0, [])
    with pytest.raises(SandboxUnavailable, match="shutting down"):
        await pool.run(REQUEST)


@pytest.mark.parametrize(
    "options",
    [
        {"size": 0, "max_concurrency": 1, "max_queue": 0},
        {"size": 1, "max_concurrency": 0, "max_queue": 0},
        {"size": 1, "max_concurrency": 1, "max_queue": -1},
    ],
)
async def test_impossible_sizes_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="pool size"):
        WarmPool(FakeSandboxProvider(), **options)


async def test_a_run_of_one_library_converges_to_sandboxes_of_that_library() -> None:
    provider = FakeSandboxProvider()
    async with started(provider, size=2, max_concurrency=2) as pool:
        await until(lambda: pool.health().warm_by_library["all"] == 2, "two full sandboxes")
        for _ in range(pool.demand.plan(2).total() + 8):
            await pool.run(ExecutionRequest(code="x", library="plotly"))
        await until(lambda: pool.health().warm_by_library["plotly"] == 2, "two plotly ones")
        assert pool.health().warm_by_library == {
            "matplotlib": 0,
            "seaborn": 0,
            "plotly": 2,
            "all": 0,
        }
        assert provider.libraries_started[:2] == [None, None]


async def test_a_library_with_none_warm_takes_a_warm_sandbox_of_another_at_once() -> None:
    provider = FakeSandboxProvider(start_delay_s=0.3)
    async with started(provider, size=1) as pool:
        await until(lambda: pool.health().warm == 1, "a full sandbox warm")
        started_at = time.monotonic()
        result = await pool.run(ExecutionRequest(code="x", library="seaborn"))
        assert time.monotonic() - started_at < 0.2  # did not wait for a seaborn start
        assert result.status == ExecutionStatus.OK
        await until(lambda: pool.health().warm_by_library["seaborn"] == 1, "a seaborn refill")


async def test_a_request_takes_its_own_library_when_several_are_warm() -> None:
    provider = FakeSandboxProvider()
    async with started(provider, size=2, max_concurrency=2) as pool:
        await until(lambda: pool.health().warm == 2, "two warm sandboxes")
        for library in ("matplotlib", "plotly") * 4:
            await pool.run(ExecutionRequest(code="x", library=library))
        await until(
            lambda: (
                pool.health().warm_by_library
                == {"matplotlib": 1, "seaborn": 0, "plotly": 1, "all": 0}
            ),
            "one sandbox of each",
        )
        await pool.run(ExecutionRequest(code="x", library="plotly"))
        used = provider.executions[-1][0]
        assert next(s for s in provider._sandboxes if s.name == used).library == "plotly"
