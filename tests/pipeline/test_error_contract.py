"""The error contract through the pipeline's seams: deterministic failures are `failed`
(kept on resume unless asked), misconfigurations stop the run with one user error, and the
judge gets no more images than it takes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from judge.api import MAX_IMAGES
from judge.client import JudgeClient, JudgeMisconfigured
from orchestrator.bench import resources as resources_module
from orchestrator.bench.cli import run_stopping
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.models.providers import (
    Completion,
    ModelAuthError,
    ModelBadRequestError,
)
from orchestrator.bench.models.turns import Turn
from orchestrator.bench.records import ItemOutcome, Judgement
from orchestrator.bench.rejudge import RejudgeIncomplete, rejudge
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import BenchSettings
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import run_table
from orchestrator.executor.api import ExecutionResult, ExecutionStatus
from tests.pipeline.test_pipeline_seams import (
    JUDGE_TOKEN,
    OK,
    ScriptedExecutions,
    case_in,
    item,
    judge_service,
    model,
    pipeline,
    run_config,
)
from tests.support.fake_generator import FakeGenerator, one_prompt
from tests.support.fake_judge_backend import FakeJudgeBackend
from tests.support.judge_app import b64, png

pytestmark = pytest.mark.anyio

BAD_REQUEST, BAD_DATA = 21, 22


class RefusingGenerator(FakeGenerator):
    """Refuses the prompts of one case with `error`; answers the others like `model`."""

    def __init__(self, case: int, error: Exception) -> None:
        super().__init__(one_prompt(model))
        self.case, self.error = case, error

    async def _complete(self, system: str, turns: Sequence[Turn]) -> Completion:
        if case_in(turns[0].content) == self.case:
            raise self.error
        return await super()._complete(system, turns)


def unreadable(case: int) -> BenchItem:
    return item(case).model_copy(update={"data_csv": b""})


async def test_deterministic_failures_are_failed_and_kept_on_resume(tmp_path: Path) -> None:
    items = [item(OK), item(BAD_REQUEST), unreadable(BAD_DATA)]
    store = ResultsStore(tmp_path / "run")
    refusing = RefusingGenerator(BAD_REQUEST, ModelBadRequestError("HTTP 400: prompt too long"))
    async with judge_service(tmp_path, FakeJudgeBackend()) as judge:
        await pipeline(store, refusing, ScriptedExecutions({}), judge, items).run()
        stored = {r.item_id: r for r in store.load()}
        assert stored[OK].outcome == ItemOutcome.DONE
        for case, reason in [(BAD_REQUEST, "prompt too long"), (BAD_DATA, "cannot be described")]:
            assert stored[case].outcome == ItemOutcome.FAILED
            assert stored[case].infra_error is None
            assert reason in (stored[case].failure or "")

        summary = build_summary(run_config(items), store.load())
        assert (summary.stats.items, summary.stats.failed, summary.stats.infra_errors) == (1, 2, 0)
        assert sorted(f.item_id for f in summary.failed_items) == [BAD_REQUEST, BAD_DATA]
        console = Console(record=True, width=200, file=io.StringIO())
        console.print(run_table(summary))
        text = console.export_text()
        assert "Failed items" in text and "prompt too long" in text

        assert (
            pipeline(
                store, FakeGenerator(one_prompt(model)), ScriptedExecutions({}), judge, items
            ).pending()
            == []
        )
        again = pipeline(
            store, FakeGenerator(one_prompt(model)), ScriptedExecutions({}), judge, items
        )
        again.retry_failed = True
        assert sorted(w.item.id for w in again.pending()) == [BAD_REQUEST, BAD_DATA]


async def test_many_images_are_cut_to_what_the_judge_takes(tmp_path: Path) -> None:
    store, backend = ResultsStore(tmp_path / "run"), FakeJudgeBackend()
    many = ExecutionResult(
        status=ExecutionStatus.OK, images=[b64(png(seed=n)) for n in range(MAX_IMAGES + 4)]
    )
    async with judge_service(tmp_path, backend) as judge:
        executions = ScriptedExecutions({OK: many})
        await pipeline(store, FakeGenerator(one_prompt(model)), executions, judge, [item(OK)]).run()
    (record,) = store.load()
    assert record.outcome == ItemOutcome.DONE
    assert record.images_cut and len(record.images) == MAX_IMAGES + 4
    assert record.task_score.score == 80
    assert max(images for _, images in backend.calls) == MAX_IMAGES


async def test_a_judge_refusing_its_token_stops_the_run(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "run")
    async with judge_service(tmp_path, FakeJudgeBackend()) as good:
        wrong = JudgeClient("http://judge", "wrong-token", transport=good._http._transport)
        run = pipeline(
            store, FakeGenerator(one_prompt(model)), ScriptedExecutions({}), wrong, [item(OK)]
        )
        with pytest.raises(ExceptionGroup) as group:
            await run.run()
        await wrong.aclose()
    stopped = run_stopping(group.value)
    assert isinstance(stopped, JudgeMisconfigured)
    assert "JUDGE_TOKEN" in str(stopped)
    assert store.load() == []


async def test_a_refused_model_key_stops_the_run(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "run")
    refusing = RefusingGenerator(OK, ModelAuthError("set OPENAI_COMPATIBLE_API_KEY"))
    async with judge_service(tmp_path, FakeJudgeBackend()) as judge:
        run = pipeline(store, refusing, ScriptedExecutions({}), judge, [item(OK)])
        with pytest.raises(ExceptionGroup) as group:
            await run.run()
    stopped = run_stopping(group.value)
    assert isinstance(stopped, ModelAuthError)


async def test_rejudge_stores_each_item_and_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [item(OK), item(2)]
    store, backend = ResultsStore(tmp_path / "run"), FakeJudgeBackend()
    store.write_config(run_config(items))
    generator = FakeGenerator(one_prompt(model))
    no_judge = pipeline(store, generator, ScriptedExecutions({}), None, items)  # type: ignore[arg-type]
    await no_judge.run()
    monkeypatch.setenv("JUDGE_URL", "http://judge")
    monkeypatch.setenv("JUDGE_TOKEN", JUDGE_TOKEN)
    async with judge_service(tmp_path, backend) as judge:
        transport = judge._http._transport
        monkeypatch.setattr(
            resources_module,  # where the run makes its judge client
            "JudgeClient",
            lambda url, token: JudgeClient(url, token, transport=transport, max_attempts=1),
        )
        backend.available = False
        with pytest.raises(RejudgeIncomplete, match="2 item"):
            await rejudge(store.run_dir, BenchSettings())
        assert all(r.task_score.score is None for r in store.load())

        backend.available = True
        first = store.load()[0]
        await store.append_rejudged(
            first.model_copy(update={"task_score": Judgement(score=42, judge="earlier")})
        )
        calls = len(backend.calls)
        await rejudge(store.run_dir, BenchSettings())
    assert len(backend.calls) - calls == 1  # only the item not yet judged again
    scores = {r.item_id: r.task_score.score for r in store.load()}
    assert scores == {first.item_id: 42, 2 if first.item_id == OK else OK: 80}
    assert not store.rejudged_path.exists()
