"""Benchmark runs for the scaling tests: the real pipeline over the fixture items, with a
stand-in model, executing through whatever it is given (a dispatcher)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.bench.data.dataset import load_bench_dataset
from orchestrator.bench.instructs import DEFAULT_INSTRUCTS
from orchestrator.bench.models.providers import make_generator
from orchestrator.bench.models.registry import Endpoint, resolve_model
from orchestrator.bench.pipeline import ExecuteFn, Pipeline, StageLimits
from orchestrator.bench.records import ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.results_store import ResultsStore
from orchestrator.client.dispatch import Dispatcher
from tests.support.llm_server import StandinLLM
from tests.support.paths import FIXTURE_DATASET

PLOT_REPLY = (
    "```python\nimport matplotlib.pyplot as plt\n"
    "plt.plot(df[df.columns[0]])\nplt.title('values')\n```\n"
)


def quick_dispatcher(
    urls: list[str], token: str, *, attempt_overhead_s: float = 60.0
) -> Dispatcher:
    """Polls often, so a test sees an executor's loss or return within a second or two."""
    return Dispatcher(
        urls,
        token,
        poll_interval_s=0.5,
        health_timeout_s=1.0,
        probe_max_s=2.0,
        attempt_overhead_s=attempt_overhead_s,
    )


async def bench_run(
    execute: ExecuteFn, llm: StandinLLM, run_dir: Path, *, repeats: int, slots: int
) -> list[ItemRecord]:
    """A benchmark run of the fixture items through `execute`; returns what it stored."""
    dataset = load_bench_dataset(FIXTURE_DATASET)
    spec = resolve_model("openai-compatible:standin-coder")
    config = RunConfig(
        run_id=run_dir.name,
        model=spec.alias,
        provider_model=spec.provider_model,
        library="matplotlib",
        descriptor="head",
        task_variant="full",
        dataset=dataset.source,
        item_ids=[item.id for item in dataset.items],
        repeats=repeats,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store = ResultsStore(run_dir)
    store.write_config(config)
    endpoint = Endpoint(base_url=f"{llm.url}/v1", api_key=llm.api_key)
    async with make_generator(spec, endpoint) as generator:
        pipeline = Pipeline(
            config=config,
            items=dataset.items,
            instructs=DEFAULT_INSTRUCTS,
            generator=generator,
            execute=execute,
            judge=None,
            store=store,
            limits=StageLimits(generate=4, execute=slots, queue=2),
            timeout_s=60.0,
        )
        await pipeline.run()
    return store.load()


def assert_each_item_once(records: list[ItemRecord], repeats: int) -> None:
    """Every (item, repeat) stored exactly once, executed, and none an infrastructure error."""
    keys = sorted((r.item_id, r.repeat) for r in records)
    assert keys == sorted((item, repeat) for item in (3, 7) for repeat in range(repeats))
    assert [r.infra_error for r in records if r.outcome != ItemOutcome.DONE] == []
    assert all(r.execution is not None and r.execution.status == "ok" for r in records)


def runs_by_executor(records: list[ItemRecord]) -> Counter[str]:
    """How many of the stored executions each executor ran."""
    return Counter(r.execution.executor for r in records if r.execution and r.execution.executor)
