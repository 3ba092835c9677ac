"""The dispatcher over scripted executors (httpx.MockTransport per URL): scheduling,
re-dispatch, giving up and recovery without a network or Docker (tests/scaling has the
real thing)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from orchestrator.client.dispatch import Dispatcher
from orchestrator.client.executor_client import ExecutorRejected, ExecutorUnavailable
from orchestrator.client.executor_state import ExecutorState, ExecutorStats
from orchestrator.executor.api import ExecutionRequest
from tests.support.fake_executor import FakeExecutor
from tests.support.waiting import until

pytestmark = pytest.mark.anyio

TOKEN = "dispatch-token"
REQUEST = ExecutionRequest(code="print(1)", timeout_s=20)
# Polls and probes every few tens of milliseconds, so losses and returns show at once.
FAST: dict[str, Any] = {
    "poll_interval_s": 0.05,
    "health_timeout_s": 1.0,
    "probe_base_s": 0.05,
    "probe_max_s": 0.2,
    "attempt_overhead_s": 5.0,
}


def executor(name: str, **options: Any) -> FakeExecutor:
    return FakeExecutor(f"http://{name}:8000", token=options.pop("token", TOKEN), **options)


def dispatcher(*executors: FakeExecutor, **options: Any) -> Dispatcher:
    return Dispatcher(
        [e.url for e in executors],
        TOKEN,
        transports={e.url: e.transport for e in executors},
        **(FAST | options),
    )


def stats_of(dispatcher: Dispatcher, executor: FakeExecutor) -> ExecutorStats:
    (stats,) = [s for s in dispatcher.stats() if s.url == executor.url]
    return stats


async def test_calls_spread_by_the_capacity_each_executor_reports() -> None:
    big, small = executor("big", max_concurrency=3, answer="hang"), executor("small", answer="hang")
    async with dispatcher(big, small) as spread:
        assert spread.slots == 4
        calls = [asyncio.create_task(spread.execute(REQUEST)) for _ in range(5)]
        await until(lambda: (big.in_flight, small.in_flight) == (3, 1), "every slot taken")
        await asyncio.sleep(0.2)
        assert big.executions + small.executions == 4  # the fifth waits for a free slot
        big.release()
        small.release()
        done = await asyncio.gather(*calls)
    assert [d.executor for d in done].count(big.url) >= 3
    assert {d.result.stdout for d in done} <= {big.url, small.url}
    assert big.executions + small.executions == 5


async def test_slots_taken_by_other_clients_are_left_alone() -> None:
    shared = executor("shared", max_concurrency=2, busy_elsewhere=2)
    own = executor("own", max_concurrency=2, answer="hang")
    async with dispatcher(shared, own) as spread:
        calls = [asyncio.create_task(spread.execute(REQUEST)) for _ in range(2)]
        await until(lambda: own.in_flight == 2, "both calls on the free executor")
        own.release()
        done = await asyncio.gather(*calls)
    assert {d.executor for d in done} == {own.url}
    assert shared.executions == 0


@pytest.mark.parametrize("failure", ["http 500", "refused"])
async def test_an_executor_that_fails_is_marked_down_and_the_call_goes_elsewhere(
    failure: str,
) -> None:
    broken, good = executor("broken", max_concurrency=2), executor("good")
    async with dispatcher(broken, good, probe_base_s=30) as spread:
        if failure == "refused":
            broken.reachable = False
        else:
            broken.answer = 500
        done = await spread.execute(REQUEST)
        assert done.executor == good.url
        assert done.result.stdout == good.url
        down = stats_of(spread, broken)
        assert (down.state, down.failures, down.executions) == (ExecutorState.DOWN, 1, 0)
        assert down.down_reason is not None
        assert ("HTTP 500" if failure == "http 500" else "ConnectError") in down.down_reason
        assert stats_of(spread, good).executions == 1


async def test_a_lost_executors_call_in_flight_is_re_dispatched_at_once() -> None:
    lost, good = executor("lost", max_concurrency=2, answer="hang"), executor("good")
    async with dispatcher(lost, good) as spread:
        call = asyncio.create_task(spread.execute(REQUEST))
        await until(lambda: lost.in_flight == 1, "the call running on the first executor")
        started = time.monotonic()
        lost.reachable = False  # its health polls fail from now on
        done = await call
        # Two missed polls, not the attempt's timeout of 25 s.
        assert time.monotonic() - started < 2.0
        assert done.executor == good.url
        down = stats_of(spread, lost)
        assert (down.state, down.failures) == (ExecutorState.DOWN, 1)
        assert "health polls failed" in (down.down_reason or "")
        await until(lambda: lost.in_flight == 0, "the abandoned request cancelled")


async def test_without_any_executor_answering_the_dispatcher_does_not_start() -> None:
    a, b = executor("a"), executor("b")
    a.reachable = b.reachable = False
    with pytest.raises(ExecutorUnavailable, match="no executor answered /healthz"):
        async with dispatcher(a, b):
            pass


async def test_when_every_executor_is_gone_a_call_gives_up_after_max_wait() -> None:
    a, b = executor("a"), executor("b")
    async with dispatcher(a, b, max_wait_s=0.3) as spread:
        a.reachable = b.reachable = False
        with pytest.raises(ExecutorUnavailable) as gave_up:
            await spread.execute(REQUEST)
    message = str(gave_up.value)
    assert "no executor could take the execution for 0.3 s" in message
    assert f"earlier attempts: {a.url}" in message or f"earlier attempts: {b.url}" in message
    assert {s.state for s in spread.stats()} == {ExecutorState.DOWN}


async def test_a_call_that_fails_everywhere_gives_up_after_max_attempts() -> None:
    a, b = executor("a", answer=502), executor("b", answer=502)
    async with dispatcher(a, b, max_attempts=3) as spread:
        with pytest.raises(ExecutorUnavailable, match=r"failed on 3 attempts.*HTTP 502"):
            await spread.execute(REQUEST)
    assert a.executions + b.executions == 3
    assert a.executions >= 1 and b.executions >= 1


async def test_a_down_executor_is_used_again_once_a_probe_finds_it() -> None:
    steady, back = executor("steady", answer="hang"), executor("back", answer="hang")
    back.reachable = False
    async with dispatcher(steady, back) as spread:
        assert stats_of(spread, back).state == ExecutorState.DOWN
        assert spread.slots == 1
        back.reachable = True
        await until(lambda: stats_of(spread, back).state == ExecutorState.UP, "back up")
        assert spread.slots == 2
        calls = [asyncio.create_task(spread.execute(REQUEST)) for _ in range(2)]
        await until(lambda: (steady.in_flight, back.in_flight) == (1, 1), "one call on each")
        steady.release()
        back.release()
        done = await asyncio.gather(*calls)
    assert {d.executor for d in done} == {steady.url, back.url}


async def test_a_401_is_raised_to_the_caller_and_the_executor_stays_up() -> None:
    strict = executor("strict", max_concurrency=2, token="another-token")
    other = executor("other")
    async with dispatcher(strict, other) as spread:
        with pytest.raises(ExecutorRejected, match="HTTP 401"):
            await spread.execute(REQUEST)
        refused = stats_of(spread, strict)
        assert (refused.state, refused.failures) == (ExecutorState.UP, 0)
    assert (strict.executions, other.executions) == (1, 0)


async def test_a_saturated_executor_cools_for_its_retry_after_without_a_strike() -> None:
    busy, free = executor("busy", max_concurrency=2, answer=503, retry_after="30"), executor("free")
    async with dispatcher(busy, free) as spread:
        first = await spread.execute(REQUEST)
        second = await spread.execute(REQUEST)
        cooling = stats_of(spread, busy)
    assert (first.executor, second.executor) == (free.url, free.url)
    assert busy.executions == 1  # cooling: not asked again
    assert (cooling.state, cooling.failures) == (ExecutorState.UP, 0)
