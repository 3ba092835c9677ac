"""A scripted SandboxProvider for driving the warm pool and the executor app without Docker.

Each execution takes the next step of the provider's script (the default result when the
script is empty):

- an ExecutionResult is answered as is (stamped with the sandbox's name);
- Fate.HANG blocks until `release_hung()` is called, then answers the default result;
- Fate.DIES raises SandboxUnavailable, as a sandbox lost mid-execution does.

Starts take `start_delay_s`; the next `start_failures` starts raise SandboxUnavailable.
The provider counts what the pool did: starts attempted, sandboxes created and destroyed,
sweeps, and every execution with the sandbox that ran it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections import deque
from collections.abc import Iterable
from enum import Enum

from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus, Library
from orchestrator.executor.sandbox import Sandbox, SandboxProvider, SandboxUnavailable
from tests.support.judge_app import png

RUNTIME = {"runtime": "fake", "image": "fake/sandbox:test"}


class Fate(Enum):
    HANG = "hang"
    DIES = "dies"


Step = ExecutionResult | Fate


def ok_result() -> ExecutionResult:
    """What plotting code that drew one figure returns."""
    return ExecutionResult(
        status=ExecutionStatus.OK,
        images=[base64.b64encode(png()).decode()],
        stdout="drawn\n",
        duration_s=0.01,
    )


class FakeSandbox(Sandbox):
    def __init__(self, name: str, provider: FakeSandboxProvider, library: Library | None) -> None:
        self.name = name
        self.library = library
        self._provider = provider
        self.destroyed = False

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        return await self._provider.run_step(self, request)

    async def destroy(self) -> None:
        if not self.destroyed:
            self.destroyed = True
            self._provider.destroyed += 1


class FakeSandboxProvider(SandboxProvider):
    def __init__(
        self,
        *,
        script: Iterable[Step] = (),
        default: ExecutionResult | None = None,
        start_delay_s: float = 0.0,
        start_failures: int = 0,
    ) -> None:
        self.script: deque[Step] = deque(script)
        self.default = default or ok_result()
        self.start_delay_s = start_delay_s
        self.start_failures = start_failures
        self.starts = 0  # create() calls, failed ones included
        self.libraries_started: list[Library | None] = []  # what each create() warmed
        self.peak_starting = 0
        self.created = 0
        self.destroyed = 0
        self.sweeps = 0
        self.executions: list[tuple[str, ExecutionRequest]] = []  # (sandbox name, request)
        self.running = 0
        self.peak_running = 0
        self._starting = 0
        self._sandboxes: list[FakeSandbox] = []
        self._names = itertools.count(1)
        self._released = asyncio.Event()

    @property
    def live(self) -> list[str]:
        """Sandboxes created and not yet destroyed or swept."""
        return [s.name for s in self._sandboxes if not s.destroyed]

    def release_hung(self) -> None:
        self._released.set()

    async def create(self, library: Library | None = None) -> Sandbox:
        self.starts += 1
        self.libraries_started.append(library)
        self._starting += 1
        self.peak_starting = max(self.peak_starting, self._starting)
        try:
            await asyncio.sleep(self.start_delay_s)
        finally:
            self._starting -= 1
        if self.start_failures > 0:
            self.start_failures -= 1
            raise SandboxUnavailable("scripted start failure: the engine refused the container")
        sandbox = FakeSandbox(f"fake-{next(self._names)}", self, library)
        self._sandboxes.append(sandbox)
        self.created += 1
        return sandbox

    async def sweep(self) -> int:
        self.sweeps += 1
        leftovers = [s for s in self._sandboxes if not s.destroyed]
        for sandbox in leftovers:
            sandbox.destroyed = True
        return len(leftovers)

    def describe(self) -> dict[str, str]:
        return dict(RUNTIME)

    async def run_step(self, sandbox: FakeSandbox, request: ExecutionRequest) -> ExecutionResult:
        if sandbox.destroyed:
            raise AssertionError(f"{sandbox.name} executed after it was destroyed")
        if any(name == sandbox.name for name, _ in self.executions):
            raise AssertionError(f"{sandbox.name} executed a second request")
        self.executions.append((sandbox.name, request))
        step = self.script.popleft() if self.script else self.default
        self.running += 1
        self.peak_running = max(self.peak_running, self.running)
        try:
            if step is Fate.DIES:
                raise SandboxUnavailable(f"{sandbox.name} went away mid-execution")
            if step is Fate.HANG:
                await self._released.wait()
                step = self.default
            return step.model_copy(update={"sandbox": sandbox.name})
        finally:
            self.running -= 1
