"""An item on its way through the pipeline's stages, and the generation stage's inbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.records import Attempt, AttemptResult, Judgement, Prompt
from orchestrator.bench.self_debug import feedback
from orchestrator.executor.figures import FigureDescription

NOT_JUDGED = Judgement(reason="not judged")


@dataclass
class Work:
    """One item on its way through the stages: its current attempt and the earlier ones."""

    item: BenchItem
    repeat: int
    attempts: list[Attempt] = field(default_factory=list)  # earlier, failed attempts
    prompt: Prompt | None = None  # built by the first generation
    current: AttemptResult = field(default_factory=AttemptResult)
    infra_error: str | None = None
    failure: str | None = None
    debug_stopped: str | None = None
    reference_figure: FigureDescription | None = None

    def __post_init__(self) -> None:
        self.current.round = len(self.attempts)

    @property
    def stopped(self) -> bool:
        """An earlier stage failed: the later ones have nothing to do."""
        return self.infra_error is not None or self.failure is not None

    def next_round(self) -> Attempt:
        """Files the current (failed) attempt and starts the next round; returns the filed one."""
        attempt = Attempt(
            **self.current.model_dump(exclude={"visual", "task_score"}),
            visual=NOT_JUDGED,  # until JUDGE_ROUNDS=all judges it with the final one
            task_score=NOT_JUDGED,
            feedback=feedback(self.current),
        )
        self.attempts.append(attempt)
        self.current = AttemptResult(round=len(self.attempts))
        return attempt

    def back_to_last_round(self, reason: str) -> None:
        """The next round could not be had: the last attempt stays the final one."""
        last = self.attempts.pop()
        self.current = AttemptResult(**last.model_dump(exclude={"feedback"}))
        self.debug_stopped = reason


class Done:
    """Queue sentinel: the stage before has finished."""


DONE = Done()


class WorkSource:
    """The generation stage's inbox: attempts of later rounds first, then new items, then,
    once `close` is called, one DONE per worker. Unbounded, so that the execute stage can
    always hand an item back without waiting on the stage before it."""

    def __init__(self) -> None:
        self._queue: asyncio.PriorityQueue[tuple[int, int, Work | Done]] = asyncio.PriorityQueue()
        self._order = 0

    def put(self, work: Work | Done) -> None:
        rank = 2 if isinstance(work, Done) else 0 if work.attempts else 1
        self._order += 1
        self._queue.put_nowait((rank, self._order, work))

    async def get(self) -> Work | Done:
        return (await self._queue.get())[2]

    def close(self, workers: int) -> None:
        for _ in range(workers):
            self.put(DONE)
