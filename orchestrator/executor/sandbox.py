"""The Sandbox abstraction: a throwaway place to run one piece of untrusted plotting code.

A provider starts sandboxes that are ready to execute; each sandbox executes exactly one
request and is then destroyed. Failed *code* is never an exception: it is an
ExecutionResult whose status says what happened (error, timeout, oom, crashed). Exceptions
are for the infrastructure only, so a broken engine can never be scored as a model failure.

    SandboxError
    └── SandboxUnavailable   the sandbox could not be started, reached or used (infra)
        └── PoolSaturated    every sandbox is busy and the wait queue is full (back off)
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from orchestrator.executor.api import ExecutionRequest, ExecutionResult, Library


class SandboxError(Exception):
    """Base of every infrastructure error around sandboxes."""


class SandboxUnavailable(SandboxError):
    """No sandbox could run the request; retrying later or elsewhere may succeed."""


class PoolSaturated(SandboxUnavailable):
    """All sandboxes are busy and the queue is full."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Sandbox(ABC):
    """One started, ready sandbox. Execute once, then destroy."""

    name: str
    library: Library | None  # the library it warmed; None: all three

    @abstractmethod
    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Runs the request; the outcome of the code is in the result's status."""

    @abstractmethod
    async def destroy(self) -> None:
        """Removes the sandbox and everything it held. Safe to call more than once."""


class SandboxProvider(ABC):
    """Makes sandboxes of one kind (e.g. Docker containers)."""

    @abstractmethod
    async def create(self, library: Library | None = None) -> Sandbox:
        """Starts a sandbox warm for `library` (None: all three) and returns once it is
        ready; raises SandboxUnavailable. It runs code of any library."""

    @abstractmethod
    async def sweep(self) -> int:
        """Removes every sandbox of this provider's fleet; returns how many it removed."""

    @abstractmethod
    def describe(self) -> dict[str, str]:
        """Runtime and image, for health reports."""
