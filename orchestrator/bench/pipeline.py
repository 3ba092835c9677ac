"""The benchmark pipeline: generate → execute → judge, as three overlapping stages.

Each stage has its own concurrency and hands work on through a bounded queue, so a slow
stage pushes back on the one before it instead of piling up memory, and a run's wall time
approaches its slowest stage rather than the sum. Every finished item is appended to
items.jsonl at once.

Failures are sorted by whose they are (errors.py draws the tree). The model's: no code,
wrong library, code that errs, times out, runs out of memory or crashes — these are
results. The infrastructure's: an unreachable model endpoint, executor or judge after
retries — the item is stored as `infra_error`, left out of the statistics and retried on
resume. Neither's, and not retryable (the item's data cannot be described, the model
endpoint or the judge refuses this one request): `failed`, left out and counted, retried
only when asked. A configuration error (bad key, unknown model id, a judge refusing its
token) stops the run with its message.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from rich.progress import Progress, TaskID

from judge.api import MAX_IMAGES as JUDGE_MAX_IMAGES
from judge.api import JudgementRequest, JudgementResponse
from judge.api import task_text as judge_task
from judge.client import JudgeClient, JudgeRejected, JudgeUnavailable
from orchestrator.bench.cell import execution_request
from orchestrator.bench.code_extraction import extract_code, is_wrong_library, uses_library
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.data.descriptors import DescriptorError
from orchestrator.bench.instructs import Instructs
from orchestrator.bench.models.providers import Generator, ModelBadRequestError, ModelUnavailable
from orchestrator.bench.prompts import build_prompt, task_text
from orchestrator.bench.records import (
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    Prompt,
    RunConfig,
    TaskVariant,
    Timings,
)
from orchestrator.bench.results_store import ResultsStore
from orchestrator.client.executor_client import ExecutorClientError
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, Library

In = TypeVar("In")
Out = TypeVar("Out")

# Runs one execution somewhere; returns the result and which executor ran it.
ExecuteFn = Callable[[ExecutionRequest], Awaitable[tuple[ExecutionResult, str]]]


@dataclass(frozen=True)
class StageLimits:
    generate: int = 1
    execute: int = 2
    judge: int = 4
    queue: int = 4  # items waiting between two stages


@dataclass
class Work:
    item: BenchItem
    repeat: int
    prompt: Prompt
    started: float = field(default_factory=time.monotonic)
    response: str = ""
    response_truncated: bool = False
    code: str = ""
    wrong_library: bool = False
    imports_library: bool | None = None
    execution: Execution | None = None
    images: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    infra_error: str | None = None
    failure: str | None = None

    @property
    def stopped(self) -> bool:
        """An earlier stage failed: the later ones have nothing to do."""
        return self.infra_error is not None or self.failure is not None


class _Done:
    """Queue sentinel: the stage before has finished."""


DONE = _Done()


class Pipeline:
    def __init__(
        self,
        *,
        config: RunConfig,
        items: list[BenchItem],
        instructs: Instructs,
        generator: Generator,
        execute: ExecuteFn,
        judge: JudgeClient | None,
        store: ResultsStore,
        limits: StageLimits,
        timeout_s: float,
        progress: Progress | None = None,
        retry_failed: bool = False,
    ) -> None:
        self.config = config
        self.items = items
        self.instructs = instructs
        self.generator = generator
        self.execute = execute
        self.judge = judge
        self.store = store
        self.limits = limits
        self.timeout_s = timeout_s
        self.progress = progress
        self.retry_failed = retry_failed
        self._bars: dict[str, TaskID] = {}
        self.written = 0
        self.reported_model: str | None = None  # the model id of the endpoint's first reply

    @property
    def library(self) -> Library:
        return self.config.library

    def pending(self) -> list[tuple[BenchItem, int]]:
        done = self.store.compact(retry_failed=self.retry_failed)
        return [
            (item, repeat)
            for repeat in range(self.config.repeats)
            for item in self.items
            if (repeat, item.id) not in done
        ]

    async def run(self) -> int:
        """Runs every unfinished (item, repeat); returns how many records it wrote."""
        todo = self.pending()
        for stage in ("generate", "execute", "judge"):
            if self.progress is not None:
                self._bars[stage] = self.progress.add_task(stage, total=len(todo))
        to_execute: asyncio.Queue[Work | _Done] = asyncio.Queue(self.limits.queue)
        to_judge: asyncio.Queue[Work | _Done] = asyncio.Queue(self.limits.queue)
        source: asyncio.Queue[tuple[BenchItem, int] | _Done] = asyncio.Queue()
        for pair in todo:
            source.put_nowait(pair)
        async with asyncio.TaskGroup() as group:
            limits = self.limits
            group.create_task(
                self._stage(limits.generate, source, self._generate, to_execute, limits.execute)
            )
            group.create_task(
                self._stage(limits.execute, to_execute, self._execute, to_judge, limits.judge)
            )
            group.create_task(self._stage(limits.judge, to_judge, self._judge, None))
            for _ in range(self.limits.generate):
                source.put_nowait(DONE)
        return self.written

    async def _stage(
        self,
        workers: int,
        inbox: asyncio.Queue[In | _Done],
        step: Callable[[In], Awaitable[Out]],
        outbox: asyncio.Queue[Out | _Done] | None,
        next_workers: int = 0,
    ) -> None:
        async def worker() -> None:
            while not isinstance(job := await inbox.get(), _Done):
                out = await step(job)
                if outbox is not None:
                    await outbox.put(out)

        await asyncio.gather(*(worker() for _ in range(workers)))
        if outbox is not None:
            for _ in range(next_workers):
                await outbox.put(DONE)

    def _advance(self, stage: str) -> None:
        if self.progress is not None and stage in self._bars:
            self.progress.advance(self._bars[stage])

    async def _generate(self, job: tuple[BenchItem, int]) -> Work:
        item, repeat = job
        variant: TaskVariant = self.config.task_variant
        try:
            prompt = build_prompt(
                item,
                instructs=self.instructs,
                library=self.library,
                descriptor=self.config.descriptor,
                variant=variant,
            )
        except DescriptorError as exc:
            work = Work(item, repeat, Prompt(system="", user=""))
            work.failure = f"the item's data cannot be described: {exc}"
            self._advance("generate")
            return work
        work = Work(item, repeat, prompt)
        try:
            generation = await self.generator.generate(prompt.system, prompt.user)
        except ModelUnavailable as exc:
            work.infra_error = f"model endpoint: {exc}"
        except ModelBadRequestError as exc:
            work.failure = f"model endpoint: {exc}"
        else:
            work.response = generation.text
            self.reported_model = self.reported_model or generation.model
            work.response_truncated = generation.truncated
            work.timings.generation_s = round(generation.total_s, 3)
            protocol = self.config.protocol
            work.code = extract_code(generation.text, protocol)
            work.wrong_library = is_wrong_library(work.code, self.library, protocol)
            work.imports_library = uses_library(work.code, self.library)
        self._advance("generate")
        return work

    async def _execute(self, work: Work) -> Work:
        # ppb runs the cell without code too, as the reference does (cell.py).
        if not work.stopped and not work.code and self.config.protocol == "lenient":
            work.execution = Execution(status=ExecStatus.NO_CODE)
        elif not work.stopped:
            request = execution_request(
                self.config.protocol, work.item, work.code, self.library, self.timeout_s
            )
            started = time.monotonic()
            try:
                result, executor = await self.execute(request)
            except ExecutorClientError as exc:
                work.infra_error = f"executor: {exc}"
            else:
                work.images = result.images
                work.execution = Execution(
                    status=ExecStatus(result.status.value),
                    ename=result.error.ename if result.error else None,
                    evalue=result.error.evalue if result.error else None,
                    traceback=result.error.traceback if result.error else "",
                    error_truncated=result.error.truncated if result.error else False,
                    stdout=result.stdout,
                    stderr=result.stderr,
                    duration_s=result.duration_s,
                    executor=executor,
                )
                work.timings.execution_s = round(time.monotonic() - started, 3)
        self._advance("execute")
        return work

    async def _judge(self, work: Work) -> None:
        visual = task = Judgement(reason="not judged")
        if not work.stopped and self.judge is not None:
            started = time.monotonic()
            item = work.item
            try:
                visual, task = await judge_plots(
                    self.judge,
                    images=work.images,
                    references=[base64.b64encode(png).decode() for png in item.reference_images],
                    task=judge_task(item.plot_description, item.plot_style),
                    wrong_library=work.wrong_library,
                )
            except JudgeUnavailable as exc:
                work.infra_error = f"judge: {exc}"
            except JudgeRejected as exc:
                work.failure = f"judge: {exc}"
            work.timings.judging_s = round(time.monotonic() - started, 3)
        await self.store.append(self._record(work, visual, task))
        self.written += 1
        self._advance("judge")

    def _record(self, work: Work, visual: Judgement, task: Judgement) -> ItemRecord:
        item = work.item
        variant: TaskVariant = self.config.task_variant
        return ItemRecord(
            run_id=self.config.run_id,
            item_id=item.id,
            repeat=work.repeat,
            outcome=_outcome(work),
            infra_error=work.infra_error,
            failure=work.failure,
            model=self.config.model,
            provider_model=self.config.provider_model,
            library=self.library,
            descriptor=self.config.descriptor,
            task_variant=self.config.task_variant,
            task=task_text(item, variant),
            prompt=work.prompt,
            response=work.response,
            response_truncated=work.response_truncated,
            code=work.code,
            wrong_library=work.wrong_library,
            imports_library=work.imports_library,
            execution=work.execution,
            images=work.images,
            images_cut=len(work.images) > JUDGE_MAX_IMAGES,
            reference_images=[base64.b64encode(png).decode() for png in item.reference_images],
            visual=visual,
            task_score=task,
            timings=work.timings,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )


async def judge_plots(
    judge: JudgeClient,
    *,
    images: list[str],
    references: list[str],
    task: str,
    wrong_library: bool,
) -> tuple[Judgement, Judgement]:
    """The visual and task judgements of one item's plots (base64 PNGs).

    Wrong-library and no-plot items are not sent: they score 0 by rule (stats.py). The task
    judgement gets the first JUDGE_MAX_IMAGES images: the judge refuses more.
    """
    if wrong_library or not images:
        reason = "wrong library" if wrong_library else "no plot"
        return Judgement(reason=reason), Judgement(reason=reason)
    requests = [JudgementRequest(mode="task", images=images[:JUDGE_MAX_IMAGES], task=task)]
    if references:
        requests.append(
            JudgementRequest(mode="visual", images=images[:1], reference_images=references[:1])
        )
    replies = await asyncio.gather(*(judge.judge(request) for request in requests))
    task_judgement = _judgement(replies[0])
    if len(replies) > 1:
        return _judgement(replies[1]), task_judgement
    return Judgement(reason="no reference image"), task_judgement


def _outcome(work: Work) -> ItemOutcome:
    if work.infra_error is not None:
        return ItemOutcome.INFRA_ERROR
    if work.failure is not None:
        return ItemOutcome.FAILED
    return ItemOutcome.DONE


def _judgement(reply: JudgementResponse) -> Judgement:
    return Judgement(score=reply.score, raw=reply.raw, judge=reply.judge, cached=reply.cached)
