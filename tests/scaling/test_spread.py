"""Benchmark runs spread over two executor services on their own addresses: division of the
work by capacity, a killed executor, a cut link, and the executor's return."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from orchestrator.client.dispatch import Dispatcher
from orchestrator.client.executor_state import ExecutorState, ExecutorStats
from tests.scaling.runs import (
    assert_each_item_once,
    bench_run,
    quick_dispatcher,
    runs_by_executor,
)
from tests.support.llm_server import StandinLLM
from tests.support.netlab import Lab

pytestmark = [pytest.mark.docker, pytest.mark.anyio]


def stats_of(dispatcher: Dispatcher, url: str) -> ExecutorStats:
    (stats,) = [s for s in dispatcher.stats() if s.url == url]
    return stats


async def until(condition: Callable[[], bool], what: str, limit_s: float = 300) -> None:
    """Waits for a state of the run; the limit only keeps a broken run from hanging."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for: {what}"
        await asyncio.sleep(0.1)


async def test_work_divides_by_capacity(lab: Lab, llm: StandinLLM, tmp_path: Path) -> None:
    async with quick_dispatcher(lab.urls, lab.token) as dispatcher:
        assert dispatcher.slots == 3
        records = await bench_run(
            dispatcher.execute, llm, tmp_path / "spread", repeats=6, slots=dispatcher.slots
        )
        stats = {s.url: s for s in dispatcher.stats()}
    assert_each_item_once(records, repeats=6)
    ran = runs_by_executor(records)
    assert set(ran) == {lab.small.url, lab.big.url}
    # Two slots against one: the bigger executor takes at least an even share (more, unless
    # this noisy machine slows its executions down to the small one's rate).
    assert ran[lab.big.url] >= ran[lab.small.url]
    for url, count in ran.items():
        assert stats[url].executions == count
        assert stats[url].failures == 0
        assert stats[url].p50_s is not None


@pytest.mark.slow
async def test_killed_executor_loses_no_item_and_returns(
    lab: Lab, llm: StandinLLM, tmp_path: Path
) -> None:
    async with quick_dispatcher(lab.urls, lab.token) as dispatcher:
        small = partial(stats_of, dispatcher, lab.small.url)
        run = asyncio.create_task(
            bench_run(dispatcher.execute, llm, tmp_path / "kill", repeats=5, slots=3)
        )
        await until(lambda: small().executions >= 1 and small().in_flight == 1, "small busy")
        await asyncio.to_thread(lab.small.kill)
        records = await run
        assert_each_item_once(records, repeats=5)
        # Its in-flight execution failed there and was re-dispatched; none was recorded twice.
        assert small().state == ExecutorState.DOWN
        assert small().failures >= 1
        ran = runs_by_executor(records)
        assert ran[lab.small.url] == small().executions

        await asyncio.to_thread(lab.small.start)
        await until(lambda: small().state == ExecutorState.UP, "small back up")
        before = small().executions
        again = await bench_run(
            dispatcher.execute, llm, tmp_path / "after", repeats=2, slots=dispatcher.slots
        )
        assert_each_item_once(again, repeats=2)
        assert small().executions > before
        assert runs_by_executor(again)[lab.small.url] > 0


@pytest.mark.slow
async def test_cut_link_does_not_stall_the_run(lab: Lab, llm: StandinLLM, tmp_path: Path) -> None:
    """A partition sends no reset: the health polls notice, and in-flight calls move on."""
    async with quick_dispatcher(lab.urls, lab.token, attempt_overhead_s=600) as dispatcher:
        small = partial(stats_of, dispatcher, lab.small.url)
        run = asyncio.create_task(
            bench_run(dispatcher.execute, llm, tmp_path / "cut", repeats=4, slots=3)
        )
        await until(lambda: small().in_flight == 1, "small busy")
        lab.small.namespace.set_link(up=False)
        try:
            await until(lambda: small().state == ExecutorState.DOWN, "small marked down")
            # The abandoned call would otherwise wait out its 660 s timeout.
            records = await run
        finally:
            lab.small.namespace.set_link(up=True)
        assert_each_item_once(records, repeats=4)
        assert small().failures >= 1
        await until(lambda: small().state == ExecutorState.UP, "small reachable again")
