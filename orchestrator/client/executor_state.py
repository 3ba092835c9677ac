"""One executor as the dispatcher sees it, and the figures it reports about each."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from orchestrator.client.executor_client import ExecutorClient


class ExecutorState(StrEnum):
    UP = "up"
    DOWN = "down"


class ExecutorStats(BaseModel):
    """Per-executor figures for the run summary and the live progress display."""

    url: str
    state: ExecutorState
    slots: int  # max_concurrency from /healthz; 0 until it first answered
    in_flight: int
    executions: int  # results it returned (whatever the code's status)
    failures: int  # attempts that failed there for infrastructure reasons
    p50_s: float | None  # median wall time of its executions, seen from here
    down_reason: str | None = None

    def line(self) -> str:
        p50 = f"{self.p50_s:.1f} s" if self.p50_s is not None else "-"
        line = (
            f"{self.url} {self.state.value}: {self.in_flight}/{self.slots} busy, "
            f"{self.executions} runs, {self.failures} failures, p50 {p50}"
        )
        return f"{line} ({self.down_reason})" if self.down_reason else line


@dataclass(eq=False)
class Member:
    """One executor of a dispatcher; the dispatcher changes it only under its lock."""

    url: str
    client: ExecutorClient
    up: bool = False
    slots: int = 0
    in_flight: int = 0
    others: int = 0  # slots taken by other clients at the last poll
    cool_until: float = 0.0
    strikes: int = 0  # failures since its last successful execution
    missed_polls: int = 0
    probe_at: float = 0.0
    down_reason: str | None = None
    last_pick: int = 0
    executions: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)
    lost: asyncio.Event = field(default_factory=asyncio.Event)

    def free(self) -> int:
        return self.slots - self.in_flight - self.others

    def available(self, now: float) -> bool:
        return self.up and self.cool_until <= now

    def stats(self) -> ExecutorStats:
        return ExecutorStats(
            url=self.url,
            state=ExecutorState.UP if self.up else ExecutorState.DOWN,
            slots=self.slots,
            in_flight=self.in_flight,
            executions=self.executions,
            failures=self.failures,
            p50_s=round(statistics.median(self.latencies), 3) if self.latencies else None,
            down_reason=None if self.up else self.down_reason,
        )
