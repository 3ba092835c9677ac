"""Self-debug through the pipeline's seams: a scripted model that fails and then fixes (or
never fixes), scripted executions, the real judge app. Checks the rounds each item gets,
the exact conversation sent on each round, what is stored, and a resume in the middle of
an item's rounds. (test_bench_self_debug.py runs it through the real executor.)"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from orchestrator.bench.instructs import DEFAULT_INSTRUCTS
from orchestrator.bench.models.providers import Completion, ModelBadRequestError
from orchestrator.bench.models.turns import Turn
from orchestrator.bench.pipeline import Pipeline, StageLimits
from orchestrator.bench.records import ItemOutcome, ItemRecord, JudgeRounds
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.self_debug import NO_PLOT
from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
)
from tests.pipeline.test_pipeline_seams import EXECUTOR, by_case, case_in, item, judge_service
from tests.pipeline.test_pipeline_seams import run_config as seams_config
from tests.support.fake_generator import FakeGenerator
from tests.support.fake_judge_backend import FakeJudgeBackend
from tests.support.fake_sandbox import ok_result
from tests.support.judge_app import png

pytestmark = pytest.mark.anyio

FIXES, NEVER, FIRST, NO_PLOT_FIRST, REFUSED = range(1, 6)
ITEMS = [item(case) for case in (FIXES, NEVER, FIRST, NO_PLOT_FIRST, REFUSED)]
ROUNDS = 3
TRACEBACK = "\x1b[0;31mValueError\x1b[0m: bad value (case {case}, round {round})"
MARK = re.compile(r"# (plot|raise|blank) round (\d+)")


def code(kind: str, case: int, round_: int) -> str:
    return f"import matplotlib.pyplot as plt\n# {kind} round {round_}\n# case {case}"


def reply(kind: str, case: int, round_: int) -> str:
    return f"Here it is.\n```python\n{code(kind, case, round_)}\n```\n"


def scripted(turns: Sequence[Turn], healthy: bool = True) -> str | None:
    """Round r is the number of the model's turns so far."""
    case, round_ = case_in(turns[0].content), sum(t.role == "assistant" for t in turns)
    if case == NEVER and round_ == 2 and not healthy:
        return None  # the endpoint is down for this one request
    if case == FIRST or (case == FIXES and round_ >= 1) or (case == NO_PLOT_FIRST and round_):
        return reply("plot", case, round_)
    return reply("blank" if case == NO_PLOT_FIRST else "raise", case, round_)


class DebugGenerator(FakeGenerator):
    """`scripted`, and the endpoint refuses REFUSED's third conversation (too long)."""

    def __init__(self, healthy: bool = True) -> None:
        super().__init__(lambda turns: scripted(turns, healthy))

    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        if case_in(turns[0].content) == REFUSED and len(turns) == 5:
            self.conversations.append(list(turns))
            raise ModelBadRequestError("HTTP 400: the conversation is over the context")
        return await super()._complete(system, turns)

    def sent(self, case: int) -> list[list[Turn]]:
        return [turns for turns in self.conversations if case_in(turns[0].content) == case]


class DebugExecutions:
    """Code marked `plot` draws, `blank` draws nothing, `raise` draws a figure of its own
    and then fails with a traceback."""

    def __init__(self) -> None:
        self.requests: list[ExecutionRequest] = []

    async def __call__(self, request: ExecutionRequest) -> tuple[ExecutionResult, str]:
        self.requests.append(request)
        match = MARK.search(request.code)
        assert match, request.code
        kind, round_ = match.group(1), int(match.group(2))
        if kind == "plot":
            return ok_result(), EXECUTOR
        if kind == "blank":
            return ExecutionResult(status=ExecutionStatus.OK), EXECUTOR
        traceback = TRACEBACK.format(case=case_in(request.code), round=round_)
        error = ExecutionError(ename="ValueError", evalue="bad value", traceback=traceback)
        drawn = base64.b64encode(png(seed=100 + round_)).decode()
        return ExecutionResult(status=ExecutionStatus.ERROR, error=error, images=[drawn]), EXECUTOR


def debug_pipeline(
    store: ResultsStore,
    generator: FakeGenerator,
    execute: DebugExecutions,
    judge: object,
    judge_rounds: JudgeRounds = "final",
) -> Pipeline:
    config = seams_config(ITEMS, "ppb").model_copy(
        update={"self_debug": ROUNDS, "judge_rounds": judge_rounds}
    )
    store.write_config(config)
    return Pipeline(
        config=config,
        items=ITEMS,
        instructs=DEFAULT_INSTRUCTS,
        generator=generator,
        execute=execute,
        judge=judge,  # type: ignore[arg-type]
        store=store,
        limits=StageLimits(generate=2, execute=2),
        timeout_s=10,
    )


def plain(case: int, round_: int) -> str:
    return (
        TRACEBACK.format(case=case, round=round_).replace("\x1b[0;31m", "").replace("\x1b[0m", "")
    )


def rounds_of(record: ItemRecord) -> list[int]:
    return [attempt.round for attempt in record.attempts] + [record.round]


async def run(
    tmp_path: Path, generator: FakeGenerator, judge_rounds: JudgeRounds = "final"
) -> tuple[ResultsStore, DebugExecutions, FakeJudgeBackend]:
    store, executions, backend = (
        ResultsStore(tmp_path / "run"),
        DebugExecutions(),
        FakeJudgeBackend(),
    )
    async with judge_service(tmp_path, backend) as judge:
        await debug_pipeline(store, generator, executions, judge, judge_rounds).run()
    return store, executions, backend


async def test_failed_items_get_their_error_back_until_they_draw(tmp_path: Path) -> None:
    generator = DebugGenerator()
    store, executions, _ = await run(tmp_path, generator)
    stored = by_case(store)

    assert rounds_of(stored[FIRST]) == [0]
    assert rounds_of(stored[FIXES]) == [0, 1]
    assert rounds_of(stored[NO_PLOT_FIRST]) == [0, 1]
    assert rounds_of(stored[NEVER]) == [0, 1, 2, 3]  # the last round is final, fixed or not
    assert all(record.outcome is ItemOutcome.DONE for record in stored.values())

    fixed = stored[FIXES]
    assert "# plot round 1" in fixed.code and fixed.images == ok_result().images
    assert fixed.attempts[0].feedback == plain(FIXES, 0)  # ANSI codes stripped
    assert fixed.attempts[0].execution is not None and fixed.attempts[0].images
    assert stored[NO_PLOT_FIRST].attempts[0].feedback == NO_PLOT
    assert stored[NEVER].execution is not None and stored[NEVER].execution.ename == "ValueError"
    # every attempt ran in an execution of its own: 1 + 2 + 2 + 4 + 2 (REFUSED: rounds 0, 1)
    assert len(executions.requests) == 11


async def test_each_round_sends_the_conversation_so_far(tmp_path: Path) -> None:
    generator = DebugGenerator()
    store, _, _ = await run(tmp_path, generator)
    never = by_case(store)[NEVER]
    sent = generator.sent(NEVER)
    assert [len(turns) for turns in sent] == [1, 3, 5, 7]
    assert sent[0] == [Turn(role="user", content=never.prompt.user)]
    ask = "Please write a corrected version of the code in a ```python block."
    assert sent[3] == [
        Turn(role="user", content=never.prompt.user),
        Turn(role="assistant", content=f"```python\n{code('raise', NEVER, 0)}\n```"),
        Turn(
            role="user",
            content=f"The above code failed with the following error:\n{plain(NEVER, 0)}\n{ask}",
        ),
        Turn(role="assistant", content=f"```python\n{code('raise', NEVER, 1)}\n```"),
        Turn(
            role="user",
            content=(
                f"The above code still failed with the following error:\n{plain(NEVER, 1)}\n{ask}"
            ),
        ),
        Turn(role="assistant", content=f"```python\n{code('raise', NEVER, 2)}\n```"),
        Turn(
            role="user",
            content=(
                f"The above code still failed with the following error:\n{plain(NEVER, 2)}\n{ask}"
            ),
        ),
    ]
    # what was sent is what is stored, round by round
    assert [a.conversation for a in never.attempts[1:]] + [never.conversation] == sent[1:]
    assert never.attempts[0].conversation == []


async def test_a_refused_debug_round_leaves_the_last_attempt_final(tmp_path: Path) -> None:
    store, _, _ = await run(tmp_path, DebugGenerator())
    refused = by_case(store)[REFUSED]
    assert refused.outcome is ItemOutcome.DONE  # a result, not an excluded item
    assert rounds_of(refused) == [0, 1]
    assert refused.debug_stopped is not None and "over the context" in refused.debug_stopped
    assert "# raise round 1" in refused.code


async def test_a_killed_run_resumes_in_the_middle_of_an_items_rounds(tmp_path: Path) -> None:
    store, _, _ = await run(tmp_path, DebugGenerator(healthy=False))
    first = by_case(store)[NEVER]
    assert first.outcome is ItemOutcome.INFRA_ERROR and first.round == 2
    journal = store.attempts_path.read_text().splitlines()
    assert len(journal) == 1 + 1 + 2 + 2  # filed: FIXES, NO_PLOT_FIRST, NEVER, REFUSED

    generator, executions = DebugGenerator(), DebugExecutions()
    async with judge_service(tmp_path, FakeJudgeBackend()) as judge:
        resumed = debug_pipeline(store, generator, executions, judge)
        assert [work.item.id for work in resumed.pending()] == [NEVER]
        assert await resumed.run() == 1
    # rounds 0 and 1 are not asked or run again: the resume starts at round 2
    assert [len(turns) for turns in generator.conversations] == [5, 7]
    assert [MARK.search(r.code).group(2) for r in executions.requests] == ["2", "3"]  # type: ignore[union-attr]
    never = by_case(store)[NEVER]
    assert never.outcome is ItemOutcome.DONE and rounds_of(never) == [0, 1, 2, 3]
    assert never.attempts[:2] == first.attempts
    # a second resume has nothing left to do, and drops the finished item's filed attempts
    again = debug_pipeline(store, DebugGenerator(), DebugExecutions(), None)
    assert again.pending() == []
    assert store.attempts_path.read_text() == ""


async def test_the_judge_scores_the_final_attempt_or_every_round(tmp_path: Path) -> None:
    final_store, _, backend = await run(tmp_path / "final", DebugGenerator())
    fixes = by_case(final_store)[FIXES]
    assert fixes.task_score.score == 80
    assert fixes.attempts[0].task_score.reason == "not judged"
    final_calls = len(backend.calls)

    every_store, _, backend = await run(tmp_path / "all", DebugGenerator(), "all")
    every = by_case(every_store)
    assert every[FIXES].attempts[0].task_score.score == 80  # it drew before it failed
    assert every[NO_PLOT_FIRST].attempts[0].task_score.reason == "no plot"  # 0 by rule, unasked
    # the earlier attempts that drew: FIXES 1 (task and visual: it has a reference image),
    # NEVER 3 and REFUSED 1 (task only)
    assert len(backend.calls) == final_calls + 2 + 3 + 1
