"""The benchmark pipeline: generate → execute → judge, as three overlapping stages.

Each stage has its own concurrency and hands work on through a bounded queue, so a slow
stage pushes back on the one before it instead of piling up memory, and a run's wall time
approaches its slowest stage rather than the sum. Every finished item is appended to
items.jsonl at once.

With self-debug (self_debug.py), an attempt that failed goes from the execute stage back to
generation with its conversation, ahead of the items not yet started, while the other items
go on; it is stored in attempts.jsonl first, so a resumed run goes on from the next round.

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
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.progress import Progress, TaskID

from judge.api import MAX_IMAGES as JUDGE_MAX_IMAGES
from judge.api import JudgementRequest, JudgementResponse
from judge.api import task_text as judge_task
from judge.client import JudgeClient, JudgeRejected, JudgeUnavailable
from orchestrator.bench.cell import execution_request
from orchestrator.bench.code_extraction import extract_code, is_wrong_library, uses_library
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.data.descriptors import DescriptorError
from orchestrator.bench.figure_scoring import figure_metrics
from orchestrator.bench.ground_truth import ExecuteFn as ExecuteFn
from orchestrator.bench.ground_truth import GroundTruthFigures
from orchestrator.bench.instructs import Instructs
from orchestrator.bench.models.providers import Generator, ModelBadRequestError, ModelUnavailable
from orchestrator.bench.models.turns import one_turn
from orchestrator.bench.prompts import build_prompt, task_text
from orchestrator.bench.records import (
    AttemptResult,
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    Prompt,
    RunConfig,
    TaskVariant,
)
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.self_debug import conversation, failed
from orchestrator.bench.work import DONE, NOT_JUDGED, Done, Work, WorkSource
from orchestrator.client.executor_client import ExecutorClientError
from orchestrator.executor.api import Library
from orchestrator.executor.figures import FigureDescription


@dataclass(frozen=True)
class StageLimits:
    generate: int = 1
    execute: int = 2
    judge: int = 4
    queue: int = 4  # items waiting between two stages


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
        ground_truth: GroundTruthFigures | None = None,
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
        self.ground_truth = ground_truth  # None: no judge-free figure metrics
        self._bars: dict[str, TaskID] = {}
        self.written = 0
        self.reported_model: str | None = None  # the model id of the endpoint's first reply
        self._source = WorkSource()
        self._open = 0  # items not yet handed to the judge stage

    @property
    def library(self) -> Library:
        return self.config.library

    def pending(self) -> list[Work]:
        """The unfinished (item, repeat)s, each with the attempts a killed run had filed."""
        done = self.store.compact(retry_failed=self.retry_failed)
        filed = self.store.compact_attempts(keep=lambda key: key not in done)
        return [
            Work(item, repeat, attempts=filed.get((repeat, item.id), [])[: self.config.self_debug])
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
        to_execute: asyncio.Queue[Work | Done] = asyncio.Queue(self.limits.queue)
        to_judge: asyncio.Queue[Work | Done] = asyncio.Queue(self.limits.queue)
        for work in todo:
            self._source.put(work)
        self._open = len(todo)
        if not todo:
            self._source.close(self.limits.generate)
        async with asyncio.TaskGroup() as group:
            limits = self.limits
            group.create_task(
                self._stage(
                    limits.generate, self._source, self._generate, to_execute, limits.execute
                )
            )
            group.create_task(
                self._stage(limits.execute, to_execute, self._execute, to_judge, limits.judge)
            )
            group.create_task(self._stage(limits.judge, to_judge, self._judge, None))
        return self.written

    async def _stage(
        self,
        workers: int,
        inbox: WorkSource | asyncio.Queue[Work | Done],
        step: Callable[[Work], Awaitable[Work | None]],
        outbox: asyncio.Queue[Work | Done] | None,
        next_workers: int = 0,
    ) -> None:
        """`workers` tasks apply `step` to what comes in; what it returns goes on (None: the
        step has sent the work elsewhere)."""

        async def worker() -> None:
            while not isinstance(job := await inbox.get(), Done):
                out = await step(job)
                if outbox is not None and out is not None:
                    await outbox.put(out)

        await asyncio.gather(*(worker() for _ in range(workers)))
        if outbox is not None:
            for _ in range(next_workers):
                await outbox.put(DONE)

    def _advance(self, stage: str) -> None:
        if self.progress is not None and stage in self._bars:
            self.progress.advance(self._bars[stage])

    def _grow(self, stage: str) -> None:
        """One more attempt for `stage` to make (a debug round)."""
        if self.progress is not None and stage in self._bars:
            task = self.progress.tasks[self._bars[stage]]
            self.progress.update(self._bars[stage], total=(task.total or 0) + 1)

    async def _generate(self, work: Work) -> Work:
        if work.prompt is None:
            try:
                work.prompt = build_prompt(
                    work.item,
                    instructs=self.instructs,
                    library=self.library,
                    descriptor=self.config.descriptor,
                    variant=self.config.task_variant,
                )
            except DescriptorError as exc:
                work.prompt = Prompt(system="", user="")
                work.failure = f"the item's data cannot be described: {exc}"
                self._advance("generate")
                return work
        attempt = work.current
        if attempt.round > 0:
            attempt.conversation = conversation(work.prompt.user, work.attempts)
        try:
            generation = await self.generator.generate(
                work.prompt.system, attempt.conversation or one_turn(work.prompt.user)
            )
        except ModelUnavailable as exc:
            work.infra_error = f"model endpoint: {exc}"
        except ModelBadRequestError as exc:
            if attempt.round == 0:
                work.failure = f"model endpoint: {exc}"
            else:  # e.g. the longer conversation is over the model's context
                work.back_to_last_round(f"model endpoint: {exc}")
        else:
            self.reported_model = self.reported_model or generation.model
            protocol = self.config.protocol
            attempt.response = generation.text
            attempt.response_truncated = generation.truncated
            attempt.usage = generation.usage
            attempt.timings.generation_s = round(generation.total_s, 3)
            attempt.code = extract_code(generation.text, protocol)
            attempt.wrong_library = is_wrong_library(attempt.code, self.library, protocol)
            attempt.imports_library = uses_library(attempt.code, self.library)
        self._advance("generate")
        return work

    async def _execute(self, work: Work) -> Work | None:
        attempt = work.current
        if not work.stopped and not work.debug_stopped:
            attempt.execution, attempt.images, attempt.figures = await self._run_code(work)
        self._advance("execute")
        last_round = attempt.round >= self.config.self_debug
        if work.stopped or work.debug_stopped or last_round or not failed(attempt):
            return self._to_judge(work)
        filed = work.next_round()
        await self.store.append_attempt(work.repeat, work.item.id, filed)
        for stage in ("generate", "execute"):
            self._grow(stage)
        self._source.put(work)
        return None

    def _to_judge(self, work: Work) -> Work:
        self._open -= 1
        if self._open == 0:
            self._source.close(self.limits.generate)
        return work

    async def _run_code(
        self, work: Work
    ) -> tuple[Execution | None, list[str], list[FigureDescription | None]]:
        """The current attempt's execution, images and their figures; (None, [], []) with
        `infra_error` set when the executor could not run it."""
        attempt = work.current
        # ppb and viscoder run the cell without code too, as the reference does (cell.py).
        if not attempt.code and self.config.protocol == "lenient":
            return Execution(status=ExecStatus.NO_CODE), [], []
        request = execution_request(
            self.config.protocol, work.item, attempt.code, self.library, self.timeout_s
        )
        started = time.monotonic()
        try:
            result, executor = await self.execute(request)
        except ExecutorClientError as exc:
            work.infra_error = f"executor: {exc}"
            return None, [], []
        attempt.timings.execution_s = round(time.monotonic() - started, 3)
        error = result.error
        execution = Execution(
            status=ExecStatus(result.status.value),
            ename=error.ename if error else None,
            evalue=error.evalue if error else None,
            traceback=error.traceback if error else "",
            error_truncated=error.truncated if error else False,
            stdout=result.stdout,
            stderr=result.stderr,
            duration_s=result.duration_s,
            executor=executor,
        )
        return execution, result.images, result.figures

    async def _judge(self, work: Work) -> None:
        judged = [work.current]
        if self.config.judge_rounds == "all":
            judged.extend(work.attempts)
        if not work.stopped:
            await self._score_figures(work, judged)
        if not work.stopped and self.judge is not None:
            started = time.monotonic()
            item = work.item
            references = [base64.b64encode(png).decode() for png in item.reference_images]
            task = judge_task(item.plot_description, item.plot_style)
            try:
                for attempt in judged:
                    await judge_attempt(self.judge, attempt, references=references, task=task)
            except JudgeUnavailable as exc:
                work.infra_error = f"judge: {exc}"
            except JudgeRejected as exc:
                work.failure = f"judge: {exc}"
            work.current.timings.judging_s = round(time.monotonic() - started, 3)
        else:
            for attempt in judged:
                attempt.visual, attempt.task_score = NOT_JUDGED, NOT_JUDGED
        await self.store.append(self._record(work))
        self.written += 1
        self._advance("judge")

    async def _score_figures(self, work: Work, attempts: list[AttemptResult]) -> None:
        """The judge-free metrics of `attempts` against the item's ground-truth figure."""
        if self.ground_truth is None:
            return
        try:
            truth = await self.ground_truth.of(work.item)
        except ExecutorClientError as exc:
            work.infra_error = f"executor, running the ground truth: {exc}"
            return
        work.reference_figure = truth.figure
        for attempt in attempts:
            attempt.figure_metrics = figure_metrics(attempt, truth)

    def _record(self, work: Work) -> ItemRecord:
        item = work.item
        variant: TaskVariant = self.config.task_variant
        return ItemRecord(
            **work.current.model_dump(),
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
            prompt=work.prompt or Prompt(system="", user=""),
            attempts=work.attempts,
            debug_stopped=work.debug_stopped,
            images_cut=len(work.current.images) > JUDGE_MAX_IMAGES,
            reference_images=[base64.b64encode(png).decode() for png in item.reference_images],
            reference_figure=work.reference_figure,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )


async def judge_attempt(
    judge: JudgeClient, attempt: AttemptResult, *, references: list[str], task: str
) -> None:
    """Sets the attempt's visual and task judgements (`references`: base64 PNGs)."""
    attempt.visual, attempt.task_score = await judge_plots(
        judge,
        images=attempt.images,
        references=references,
        task=task,
        wrong_library=attempt.wrong_library,
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
