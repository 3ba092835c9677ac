"""A warm pool of sandboxes: each serves exactly one execution, the pool refills behind it.

Each sandbox is warm for one library or for all three (demand.py plans which). A request
takes a warm sandbox that has its library warm if there is one, else any warm one, else the
first to become ready: any sandbox runs code of any library, warming only saves time.

Admission control is explicit: at most `max_concurrency` executions run at once, at most
`max_queue` more wait for a slot, and anything past that is refused with PoolSaturated so
that callers back off instead of piling up memory here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from orchestrator.executor.api import (
    LIBRARIES,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
    Health,
)
from orchestrator.executor.demand import Demand, Kind, covers
from orchestrator.executor.sandbox import (
    PoolSaturated,
    Sandbox,
    SandboxProvider,
    SandboxUnavailable,
)

log = logging.getLogger(__name__)

# A failed start holds its place in the pool this long before the next try.
START_RETRY_DELAY_S = 2.0


class WarmPool:
    def __init__(
        self,
        provider: SandboxProvider,
        *,
        size: int,
        max_concurrency: int,
        max_queue: int,
        start_concurrency: int = 2,
        acquire_timeout_s: float = 120.0,
    ) -> None:
        if size < 1 or max_concurrency < 1 or max_queue < 0:
            raise ValueError("pool size and concurrency must be >= 1, queue >= 0")
        self.provider = provider
        self.size = size
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.acquire_timeout_s = acquire_timeout_s
        self._warm: list[Sandbox] = []  # oldest first
        self._warm_ready = asyncio.Condition()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._start_slots = asyncio.Semaphore(start_concurrency)
        self._starting: Counter[Kind] = Counter()
        self._busy = 0
        self._queued = 0
        self._wanted: Counter[Kind] = Counter()  # executions waiting for a warm sandbox
        self.demand = Demand(window=max(8, 4 * size))
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.last_start_error: str | None = None
        self.executions = 0
        self.failures = 0

    async def start(self) -> None:
        swept = await self.provider.sweep()
        if swept:
            log.warning("reaped %d leftover sandboxes from an earlier run", swept)
        self._refill()

    def _refill(self) -> None:
        """Starts sandboxes until warm + starting covers the pool size and the waiters,
        each of the library furthest below its share of the plan."""
        if self._closed:
            return
        plan = self.demand.plan(self.size) + self._wanted
        have = self._warm_or_starting()
        while have.total() < plan.total():
            kind = max(plan, key=lambda k: plan[k] - have[k])
            have[kind] += 1
            self._starting[kind] += 1
            task = asyncio.create_task(self._start_one(kind))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _warm_or_starting(self) -> Counter[Kind]:
        """The pool's sandboxes, warm or starting, by what they warm."""
        return Counter(s.library for s in self._warm) + self._starting

    async def _start_one(self, kind: Kind) -> None:
        try:
            sandbox = await self._create_or_back_off(kind)
        except BaseException:
            self._starting[kind] -= 1
            raise
        async with self._warm_ready:
            # Counted as starting until it is warm (or its back-off is over), so that no
            # refill meanwhile sees it in neither count and starts one too many.
            self._starting[kind] -= 1
            if sandbox is not None:
                self.last_start_error = None
                if self._closed:
                    await sandbox.destroy()
                    return
                self._warm.append(sandbox)
            self._warm_ready.notify_all()
        if sandbox is None:
            self._refill()

    async def _create_or_back_off(self, kind: Kind) -> Sandbox | None:
        """A new sandbox, or None after START_RETRY_DELAY_S when the start failed."""
        try:
            async with self._start_slots:
                return await self.provider.create(kind)
        except Exception as exc:  # whatever it was, the pool must go on and report it
            self.last_start_error = str(exc) or repr(exc)
            if isinstance(exc, SandboxUnavailable):
                log.error("sandbox start failed: %s", exc)
            else:
                log.exception("sandbox start failed unexpectedly")
        await asyncio.sleep(START_RETRY_DELAY_S)  # do not spin against a broken engine
        return None

    async def _acquire(self, kind: Kind) -> Sandbox:
        deadline = time.monotonic() + self.acquire_timeout_s
        async with self._warm_ready:
            self._wanted[kind] += 1
            try:
                while not self._warm:
                    self._refill()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        detail = f"; last start error: {self.last_start_error}"
                        raise SandboxUnavailable(
                            f"no sandbox became ready within {self.acquire_timeout_s:g} s"
                            + (detail if self.last_start_error else "")
                        )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._warm_ready.wait(), remaining)
                best = self._best_warm(kind)
                self._warm.remove(best)
                return best
            finally:
                self._wanted[kind] -= 1
                self._refill()

    def _best_warm(self, kind: Kind) -> Sandbox:
        """A warm sandbox whose stack covers `kind` if any, the one furthest over its
        library's share of the plan (so the pool converges to the plan), else the oldest."""
        plan = self.demand.plan(self.size)
        have = self._warm_or_starting()
        return min(
            self._warm,
            key=lambda s: (not covers(s.library, kind), plan[s.library] - have[s.library]),
        )

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Executes in a fresh sandbox; raises SandboxUnavailable only for infra failures."""
        if self._closed:
            raise SandboxUnavailable("the pool is shutting down")
        if self._slots.locked() and self._queued >= self.max_queue:
            raise PoolSaturated(
                f"all {self.max_concurrency} sandboxes are busy and {self._queued} requests "
                "are queued",
                retry_after_s=max(1, int(request.timeout_s // 4)),
            )
        self.demand.record(request.library)
        self._queued += 1
        try:
            await self._slots.acquire()
        finally:
            self._queued -= 1
        try:
            sandbox = await self._acquire(request.library)
            self._busy += 1
            try:
                result = await sandbox.execute(request)
            finally:
                self._busy -= 1
                self._destroy_later(sandbox)
        finally:
            self._slots.release()
        self.executions += 1
        if result.status != ExecutionStatus.OK:
            self.failures += 1
        return result

    def _destroy_later(self, sandbox: Sandbox) -> None:
        task = asyncio.create_task(self._destroy(sandbox))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _destroy(sandbox: Sandbox) -> None:
        try:
            await sandbox.destroy()
        except Exception:  # the close-time sweep removes whatever this misses
            log.exception("could not remove sandbox %s", sandbox.name)

    def health(self) -> Health:
        capacity = max(0, self.max_concurrency - self._busy - self._queued)
        return Health(
            status="degraded" if self.last_start_error else "ok",
            pool_size=self.size,
            warm=len(self._warm),
            warm_by_library={
                kind or "all": sum(s.library == kind for s in self._warm)
                for kind in (*LIBRARIES, None)
            },
            busy=self._busy,
            starting=self._starting.total(),
            max_concurrency=self.max_concurrency,
            queued=self._queued,
            max_queue=self.max_queue,
            capacity=capacity,
            executions=self.executions,
            failures=self.failures,
            **self.provider.describe(),
        )

    async def close(self) -> None:
        """Stops refilling, destroys every sandbox, and sweeps for any that slipped by."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        while self._warm:
            await self._destroy(self._warm.pop())
        await self.provider.sweep()
