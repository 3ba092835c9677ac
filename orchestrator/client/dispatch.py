"""Spreads executions over several executor services, each on its own machine (the URLs
come from the EXECUTORS setting, see orchestrator.client.executors_setting).

Scheduling. An executor has as many slots as the `max_concurrency` its /healthz reports, and
a call goes to the executor with the most free slots. Free means not taken by this
dispatcher's calls nor by other clients' work (busy + queued at the last poll, less our own
calls). A 503 answer cools the executor for its Retry-After and the call goes elsewhere.

Backpressure. When every slot is taken, `execute` waits for one instead of sending work an
executor would have to queue. Callers are few (the pipeline's execute stage has a fixed
number of workers fed from a bounded queue), so the wait pushes back on generation.

Failures: re-dispatch, not hedging. An attempt that fails for an infrastructure reason
(refused or broken connection, HTTP 5xx, no answer within `request.timeout_s +
attempt_overhead_s`) marks its executor down and the call goes to another one. When health
polls find an executor gone, its in-flight calls are abandoned at once and re-dispatched, so
a lost machine costs one poll interval, not a timeout. An execution may thus have run twice,
which is harmless (sandboxes are throwaway); the call returns exactly one result, the first
complete one. Hedging (a second copy of every slow call) was rejected: each copy costs a fresh
container and a CPU, and the executor that is slow is usually the busiest one.

Recovery. A down executor is probed (GET /healthz) with exponential backoff and used again as
soon as it answers. The backoff resets only after a successful execution, so an executor that
answers probes but keeps failing executions (flapping) is tried ever less often.

Giving up. A call raises ExecutorUnavailable after failing on `max_attempts` attempts, or
after waiting `max_wait_s` in all while no executor could take it (all down or cooling).
Waiting behind busy slots does not count: each of those calls is bounded by its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Self

import httpx
from pydantic import ValidationError

from orchestrator.client.executor_client import (
    ExecutorClient,
    ExecutorClientError,
    ExecutorUnavailable,
)
from orchestrator.client.executor_state import ExecutorStats, Member
from orchestrator.client.executors_setting import ExecutorsSettingError
from orchestrator.common.http_client import AsyncClosing
from orchestrator.executor.api import ExecutionRequest, ExecutionResult

log = logging.getLogger(__name__)


class _AttemptFailed(Exception):
    """One attempt failed for an infrastructure reason; the call goes elsewhere."""


class _Busy(Exception):
    """The executor answered 503: it is saturated; the call goes elsewhere, no strike."""


class Dispatched(NamedTuple):
    """A call's one result and the executor that produced it."""

    result: ExecutionResult
    executor: str


@dataclass
class _Call:
    waited_s: float = 0.0  # time no executor could take it
    errors: list[str] = field(default_factory=list)


class Dispatcher(AsyncClosing):
    """Runs each execution on one of several executors; see the module docstring.

    `async with` starts it (see `start`) and closes it.
    """

    def __init__(
        self,
        urls: Sequence[str],
        token: str,
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        attempt_overhead_s: float = 60.0,
        max_attempts: int = 4,
        max_wait_s: float = 180.0,
        poll_interval_s: float = 2.0,
        health_timeout_s: float = 3.0,
        misses_to_down: int = 2,
        probe_base_s: float = 0.5,
        probe_max_s: float = 30.0,
    ) -> None:
        if not urls:
            raise ExecutorsSettingError("the dispatcher needs at least one executor URL")
        self.attempt_overhead_s = attempt_overhead_s
        self.max_attempts = max_attempts
        self.max_wait_s = max_wait_s
        self.poll_interval_s = poll_interval_s
        self.health_timeout_s = health_timeout_s
        self.misses_to_down = misses_to_down
        self.probe_base_s = probe_base_s
        self.probe_max_s = probe_max_s
        transports = transports or {}
        self._members = [
            Member(
                url=url,
                client=ExecutorClient(
                    url, token, transport=transports.get(url), overhead_s=attempt_overhead_s
                ),
            )
            for url in urls
        ]
        self._changed = asyncio.Condition()
        self._picks = 0
        self._poller: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def start(self) -> None:
        """Polls every executor once; fails if none answers, then keeps polling them."""
        await asyncio.gather(*(self._poll(member) for member in self._members))
        if not any(member.up for member in self._members):
            await self.aclose()
            raise ExecutorUnavailable(
                "no executor answered /healthz ("
                + "; ".join(f"{m.url}: {m.down_reason}" for m in self._members)
                + "); are they running, and is EXECUTORS right?"
            )
        for member in self._members:
            if not member.up:
                log.warning("executor %s is down at start; it will be probed", member.url)
        self._poller = asyncio.create_task(self._poll_forever())

    async def aclose(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await asyncio.gather(*(member.client.aclose() for member in self._members))

    @property
    def slots(self) -> int:
        """Slots of the executors that are up: how many calls can run at once right now."""
        return sum(member.slots for member in self._members if member.up)

    def stats(self) -> list[ExecutorStats]:
        return [member.stats() for member in self._members]

    async def execute(self, request: ExecutionRequest) -> Dispatched:
        """Runs the request on some executor and returns its one result.

        Raises ExecutorRejected when an executor refuses the request itself (4xx), and
        ExecutorUnavailable when no executor could run it (see the module docstring).
        """
        call = _Call()
        while True:
            member = await self._take_slot(call)
            try:
                result = await self._attempt(member, request)
            except _Busy:
                continue
            except _AttemptFailed as exc:
                call.errors.append(f"{member.url}: {exc}")
                if len(call.errors) >= self.max_attempts:
                    raise ExecutorUnavailable(
                        f"the execution failed on {len(call.errors)} attempts: "
                        + "; ".join(call.errors)
                    ) from exc
                continue
            finally:
                await self._release(member)
            return Dispatched(result, member.url)

    async def _take_slot(self, call: _Call) -> Member:
        async with self._changed:
            while True:
                now = time.monotonic()
                member = self._pick(now)
                if member is not None:
                    member.in_flight += 1
                    return member
                starving = not any(m.available(now) for m in self._members)
                if starving and call.waited_s >= self.max_wait_s:
                    raise ExecutorUnavailable(
                        f"no executor could take the execution for {self.max_wait_s:g} s: "
                        + "; ".join(m.line() for m in self.stats())
                        + (f" (earlier attempts: {'; '.join(call.errors)})" if call.errors else "")
                    )
                wait = self.poll_interval_s
                if starving:
                    wait = min(wait, self.max_wait_s - call.waited_s)
                started = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
                if starving:
                    call.waited_s += time.monotonic() - started

    def _pick(self, now: float) -> Member | None:
        """The available executor with the most free slots; ties go to the least recent."""
        ready = [m for m in self._members if m.available(now) and m.free() > 0]
        if not ready:
            return None
        member = max(ready, key=lambda m: (m.free(), -m.last_pick))
        self._picks += 1
        member.last_pick = self._picks
        return member

    async def _release(self, member: Member) -> None:
        async with self._changed:
            member.in_flight -= 1
            self._changed.notify_all()

    async def _attempt(self, member: Member, request: ExecutionRequest) -> ExecutionResult:
        started = time.monotonic()
        lost = member.lost
        call = asyncio.create_task(member.client.execute_once(request))
        watch = asyncio.create_task(lost.wait())
        try:
            done, _ = await asyncio.wait(
                {call, watch},
                timeout=request.timeout_s + self.attempt_overhead_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            watch.cancel()
            if not call.done():
                call.cancel()
                with contextlib.suppress(asyncio.CancelledError, ExecutorClientError):
                    await call
        if call not in done:
            reason = "its executor was lost" if lost.is_set() else "no answer in time"
            await self._failed(member, reason, poll_first=lost.is_set())
            raise _AttemptFailed(f"{reason}; re-dispatched")
        try:
            result = call.result()
        except ExecutorUnavailable as exc:
            if exc.retry_after_s is not None:
                await self._cool(member, exc.retry_after_s)
                raise _Busy from exc
            await self._failed(member, str(exc), poll_first=False)
            raise _AttemptFailed(str(exc)) from exc
        async with self._changed:
            member.executions += 1
            member.latencies.append(time.monotonic() - started)
            member.strikes = 0
            self._mark_up(member)
        return result

    async def _cool(self, member: Member, seconds: float) -> None:
        async with self._changed:
            member.cool_until = max(member.cool_until, time.monotonic() + seconds)
            self._changed.notify_all()

    async def _failed(self, member: Member, reason: str, *, poll_first: bool) -> None:
        """Counts an attempt's failure; the executor goes down unless a poll did it already."""
        async with self._changed:
            member.failures += 1
            if poll_first:
                return
            member.strikes += 1
            self._mark_down(member, reason, abandon=False)

    def _mark_down(self, member: Member, reason: str, *, abandon: bool) -> None:
        """Needs self._changed held. With `abandon`, its in-flight calls are re-dispatched."""
        if member.up:
            log.warning("executor %s is down: %s", member.url, reason)
        member.up = False
        member.down_reason = reason
        member.missed_polls = 0
        delay = min(self.probe_max_s, self.probe_base_s * 2 ** max(0, member.strikes - 1))
        member.probe_at = time.monotonic() + delay
        if abandon:
            member.lost.set()
        self._changed.notify_all()

    def _mark_up(self, member: Member) -> None:
        """Needs self._changed held."""
        if not member.up:
            log.info("executor %s is up", member.url)
            member.up = True
            member.lost = asyncio.Event()
        member.missed_polls = 0
        self._changed.notify_all()

    async def _poll_forever(self) -> None:
        while True:
            now = time.monotonic()
            due = [m for m in self._members if m.up or m.probe_at <= now]
            await asyncio.gather(*(self._poll(member) for member in due))
            probes = [m.probe_at for m in self._members if not m.up]
            next_probe = min(probes, default=float("inf")) - time.monotonic()
            await asyncio.sleep(max(0.05, min(self.poll_interval_s, next_probe)))

    async def _poll(self, member: Member) -> None:
        ours = member.in_flight
        try:
            health = await member.client.health(timeout_s=self.health_timeout_s)
        except (ExecutorUnavailable, ValidationError) as exc:
            async with self._changed:
                if not member.up:
                    member.strikes += 1
                    self._mark_down(member, str(exc), abandon=False)
                    return
                member.missed_polls += 1
                if member.missed_polls >= self.misses_to_down:
                    member.strikes += 1
                    self._mark_down(
                        member, f"{self.misses_to_down} health polls failed: {exc}", abandon=True
                    )
            return
        async with self._changed:
            member.slots = health.max_concurrency
            member.others = max(0, health.max_concurrency - health.capacity - ours)
            self._mark_up(member)

    def line(self) -> str:
        """All executors on one line, for a progress display."""
        return " | ".join(stats.line() for stats in self.stats())
