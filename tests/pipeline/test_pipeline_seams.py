"""The bench pipeline through its seams: a scripted model behind the Generator, scripted
execution results, and the real judge app reached by JudgeClient in-process. What it records
is checked in the results store (test_bench_cli.py runs the whole thing for real)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from judge.app import create_app
from judge.client import JudgeClient
from judge.settings import JudgeSettings
from orchestrator.bench.cell import DEFAULT_LOADER
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.instructs import DEFAULT_INSTRUCTS
from orchestrator.bench.pipeline import Pipeline, StageLimits
from orchestrator.bench.records import ExecStatus, ItemOutcome, ItemRecord, Protocol, RunConfig
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.stats.summary import run_stats
from orchestrator.client.executor_client import ExecutorClientError, ExecutorUnavailable
from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
)
from tests.support.fake_generator import SPEC, FakeGenerator, one_prompt
from tests.support.fake_judge_backend import FakeJudgeBackend
from tests.support.fake_sandbox import ok_result
from tests.support.judge_app import png

pytestmark = pytest.mark.anyio

EXECUTOR = "http://fake-executor:8000"
JUDGE_TOKEN = "judge-seam-token"
CASE = re.compile(r"case (\d+)")
OK, ERROR, TIMEOUT, INFRA, NO_CODE, MODEL_DOWN, WRONG_LIBRARY = range(1, 8)

Outcome = ExecutionResult | ExecutorClientError


def case_in(text: str) -> int:
    match = CASE.search(text)
    assert match, f"no case number in {text[:200]!r}"
    return int(match.group(1))


def item(case: int) -> BenchItem:
    return BenchItem(
        id=case,
        data_csv=f"x,y\n{case},1\n2,3\n".encode(),
        plot_description=f"Draw a line chart of y over x (case {case}).",
        plot_style="Give it a title.",
        short=f"A line chart (case {case}).",
        single=f"Line chart (case {case}).",
        reference_images=[png(seed=case)] if case == OK else [],
    )


ITEMS = [item(case) for case in range(OK, WRONG_LIBRARY + 1)]


def plot_reply(case: int) -> str:
    return f"```python\nimport matplotlib.pyplot as plt\nplt.plot(df.x, df.y)  # case {case}\n```"


def model(user: str) -> str | None:
    case = case_in(user)
    if case == NO_CODE:
        return "I cannot draw that."
    if case == MODEL_DOWN:
        return None
    if case == WRONG_LIBRARY:
        return f"```python\nimport plotly.express as px\npx.line(df)  # case {case}\n```"
    return plot_reply(case)


def healthy_model(user: str) -> str:
    return plot_reply(case_in(user))


def failed(status: ExecutionStatus, ename: str) -> ExecutionResult:
    return ExecutionResult(status=status, error=ExecutionError(ename=ename, evalue="scripted"))


class ScriptedExecutions:
    """The pipeline's execute function: each case's outcome, by the case in its code."""

    def __init__(self, outcomes: Mapping[int, Outcome]) -> None:
        self.outcomes = outcomes
        self.requests: list[ExecutionRequest] = []

    def cases(self) -> list[int]:
        return sorted(case_in(request.code) for request in self.requests)

    async def __call__(self, request: ExecutionRequest) -> tuple[ExecutionResult, str]:
        self.requests.append(request)
        outcome = self.outcomes.get(case_in(request.code), ok_result())
        if isinstance(outcome, ExecutorClientError):
            raise outcome
        return outcome, EXECUTOR


FIRST_RUN: dict[int, Outcome] = {
    ERROR: failed(ExecutionStatus.ERROR, "KeyError"),
    TIMEOUT: failed(ExecutionStatus.TIMEOUT, "Timeout"),
    INFRA: ExecutorUnavailable("the execution failed on 4 attempts"),
}


@asynccontextmanager
async def judge_service(tmp: Path, backend: FakeJudgeBackend) -> AsyncIterator[JudgeClient]:
    """The real judge app with a scripted model, reached through ASGITransport."""
    settings = JudgeSettings.from_fields(
        {
            "token": JUDGE_TOKEN,
            "backend": "openai-compatible",
            "model": backend.model,
            "base_url": "http://unused/v1",
            "cache_path": tmp / "judge-cache.sqlite3",
        }
    )
    app = create_app(settings, backend=backend)
    async with (
        app.router.lifespan_context(app),
        JudgeClient(
            "http://judge",
            JUDGE_TOKEN,
            transport=httpx.ASGITransport(app=app),
            max_attempts=1,
            base_wait_s=0.0,
        ) as client,
    ):
        yield client


def run_config(items: list[BenchItem], protocol: Protocol = "lenient") -> RunConfig:
    return RunConfig(
        run_id="seams",
        protocol=protocol,
        model=SPEC.alias,
        provider_model=SPEC.provider_model,
        library="matplotlib",
        descriptor="head",
        task_variant="full",
        dataset="inline",
        item_ids=[i.id for i in items],
        judge="http://judge",
        started_at="2026-01-01T00:00:00+00:00",
    )


def pipeline(
    store: ResultsStore,
    generator: FakeGenerator,
    execute: ScriptedExecutions,
    judge: JudgeClient,
    items: list[BenchItem] = ITEMS,
    protocol: Protocol = "lenient",  # test_ppb_protocol.py runs ppb through these seams
) -> Pipeline:
    return Pipeline(
        config=run_config(items, protocol),
        items=items,
        instructs=DEFAULT_INSTRUCTS,
        generator=generator,
        execute=execute,
        judge=judge,
        store=store,
        limits=StageLimits(),
        timeout_s=20,
    )


def by_case(store: ResultsStore) -> dict[int, ItemRecord]:
    records = store.load()
    assert len(records) == len({r.item_id for r in records}), "an item was stored twice"
    return {record.item_id: record for record in records}


async def test_each_outcome_is_recorded_and_only_real_results_are_scored(tmp_path: Path) -> None:
    store, backend = ResultsStore(tmp_path / "run"), FakeJudgeBackend()
    executions = ScriptedExecutions(FIRST_RUN)
    async with judge_service(tmp_path, backend) as judge:
        written = await pipeline(store, FakeGenerator(one_prompt(model)), executions, judge).run()
    assert written == len(ITEMS)
    stored = by_case(store)

    ok = stored[OK]
    assert ok.outcome == ItemOutcome.DONE
    assert ok.execution is not None
    assert (ok.execution.status, ok.execution.executor) == (ExecStatus.OK, EXECUTOR)
    assert ok.images == ok_result().images
    assert (ok.visual.score, ok.task_score.score) == (80, 80)
    assert ok.visual.judge == ok.task_score.judge == backend.label
    assert ok.reference_images == [base64.b64encode(png(seed=OK)).decode()]
    assert sorted(images for _, images in backend.calls) == [1, 2]  # task; visual, with truth

    (sent,) = [r for r in executions.requests if case_in(r.code) == OK]
    assert sent.code.endswith(DEFAULT_LOADER + ok.code)
    assert base64.b64decode(sent.files["data.csv"]) == item(OK).data_csv
    assert (sent.library, sent.timeout_s, sent.capture) == ("matplotlib", 20, "all")
    assert ok.imports_library

    for case, status, ename in [
        (ERROR, ExecStatus.ERROR, "KeyError"),
        (TIMEOUT, ExecStatus.TIMEOUT, "Timeout"),
    ]:
        record = stored[case]
        assert record.outcome == ItemOutcome.DONE
        assert record.execution is not None
        assert (record.execution.status, record.execution.ename) == (status, ename)
        assert record.task_score.reason == "no plot" and record.task_score.score is None

    no_code = stored[NO_CODE].execution
    assert no_code is not None and no_code.status == ExecStatus.NO_CODE
    assert stored[WRONG_LIBRARY].wrong_library
    assert stored[WRONG_LIBRARY].imports_library is False
    assert stored[WRONG_LIBRARY].task_score.reason == "wrong library"
    assert executions.cases() == [OK, ERROR, TIMEOUT, INFRA, WRONG_LIBRARY]

    for case, cause in [(INFRA, "executor: "), (MODEL_DOWN, "model endpoint: ")]:
        record = stored[case]
        assert record.outcome == ItemOutcome.INFRA_ERROR
        assert (record.infra_error or "").startswith(cause)
        assert record.execution is None
        assert (record.visual.reason, record.task_score.reason) == ("not judged", "not judged")

    assert len(backend.calls) == 2  # only the item that drew a plot went to the judge
    stats = run_stats(store.load(), judged=True)
    assert (stats.items, stats.infra_errors) == (len(ITEMS) - 2, 2)
    assert (stats.task.scored, stats.task.max, stats.task.mean) == (5, 80, 16.0)


async def test_resume_retries_only_the_items_that_did_not_finish(tmp_path: Path) -> None:
    store, backend = ResultsStore(tmp_path / "run"), FakeJudgeBackend()
    async with judge_service(tmp_path, backend) as judge:
        await pipeline(
            store, FakeGenerator(one_prompt(model)), ScriptedExecutions(FIRST_RUN), judge
        ).run()
        first = by_case(store)
        generator, executions = FakeGenerator(one_prompt(healthy_model)), ScriptedExecutions({})
        resumed = pipeline(store, generator, executions, judge)
        assert [(w.item.id, w.repeat) for w in resumed.pending()] == [(INFRA, 0), (MODEL_DOWN, 0)]
        assert await resumed.run() == 2
    assert sorted(case_in(prompt) for prompt in generator.prompts) == [INFRA, MODEL_DOWN]
    assert executions.cases() == [INFRA, MODEL_DOWN]
    stored = by_case(store)
    assert set(stored) == {i.id for i in ITEMS}
    assert all(r.outcome == ItemOutcome.DONE for r in stored.values())
    assert stored[INFRA].task_score.score == stored[MODEL_DOWN].task_score.score == 80
    for case in set(stored) - {INFRA, MODEL_DOWN}:
        assert stored[case] == first[case]  # finished items are kept as they were


async def test_a_judge_outage_is_an_infra_error_not_a_score(tmp_path: Path) -> None:
    store, backend = ResultsStore(tmp_path / "run"), FakeJudgeBackend()
    backend.available = False
    items = [item(OK)]
    async with judge_service(tmp_path, backend) as judge:
        executions = ScriptedExecutions({})
        await pipeline(store, FakeGenerator(one_prompt(model)), executions, judge, items).run()
        (record,) = store.load()
        assert record.outcome == ItemOutcome.INFRA_ERROR
        assert (record.infra_error or "").startswith("judge: ")
        assert record.execution is not None and record.execution.status == ExecStatus.OK
        assert record.visual.score is None and record.task_score.score is None
        assert run_stats([record], judged=True).items == 0

        backend.available = True
        await pipeline(store, FakeGenerator(one_prompt(model)), executions, judge, items).run()
    (record,) = store.load()
    assert record.outcome == ItemOutcome.DONE
    assert (record.visual.score, record.task_score.score) == (80, 80)
    assert executions.cases() == [OK, OK]
