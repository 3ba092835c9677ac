"""The `run` command: runs (or resumes) the benchmark with the settings from the environment."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from judge.client import JudgeClient
from orchestrator.bench.data.dataset import BenchItem, load_bench_dataset, parse_ids, select_items
from orchestrator.bench.finish import finish
from orchestrator.bench.models.local.fetch import local_model_path
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.models.providers import make_generator
from orchestrator.bench.models.registry import ModelSpec, resolve_model
from orchestrator.bench.pipeline import Pipeline, StageLimits
from orchestrator.bench.progress import console, progress_bars, show_executors
from orchestrator.bench.prompts import load_instructs
from orchestrator.bench.records import RunConfig
from orchestrator.bench.resources import executors, model_endpoint
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import BenchSettings, UsageError, default_run_id


async def run_bench(settings: BenchSettings, *, retry_failed: bool = False) -> Path:
    spec = model_spec(settings)
    instructs = load_instructs(settings.instructs)
    dataset = load_bench_dataset(settings.dataset)
    if report := dataset.skipped_report():
        console.print(f"[yellow]{report}")
    items = select_items(
        dataset,
        ids=parse_ids(settings.ids) if settings.ids else None,
        limit=settings.limit,
        seed=settings.seed,
    )
    store, config = open_run(settings, spec, items, dataset.source)
    console.print(f"run [bold]{config.run_id}[/]: {len(items)} items × {settings.repeats} repeats")

    judge_access = settings.judge_access()
    async with AsyncExitStack() as stack:
        dispatcher = await stack.enter_async_context(executors(settings, store.run_dir))
        endpoint = await stack.enter_async_context(model_endpoint(spec))
        generator = await stack.enter_async_context(make_generator(spec, endpoint))
        judge = None
        if judge_access:
            judge = await stack.enter_async_context(JudgeClient(*judge_access))
        progress = await stack.enter_async_context(progress_bars())
        live = asyncio.create_task(show_executors(dispatcher, progress))
        stack.callback(live.cancel)
        pipeline = Pipeline(
            config=config,
            items=items,
            instructs=instructs,
            generator=generator,
            execute=dispatcher.execute,
            judge=judge,
            store=store,
            limits=StageLimits(generate=spec.concurrency, execute=max(1, dispatcher.slots)),
            timeout_s=settings.timeout_s,
            progress=progress,
            retry_failed=retry_failed,
        )
        await pipeline.run()
    return finish(store)


def model_spec(settings: BenchSettings) -> ModelSpec:
    """The model of MODEL=; one that cannot be reached as configured fails here, first."""
    spec = resolve_model(settings.model)
    if spec.served_locally:
        # LOCAL_MODEL_PATH may serve another GGUF: record the model actually served.
        served = LocalModelServer(local_model_path()).model_id
        return dataclasses.replace(spec, model_id=served)
    spec.endpoint()  # a missing key or base URL fails now, before anything starts
    return spec


def open_run(
    settings: BenchSettings, spec: ModelSpec, items: list[BenchItem], dataset: str
) -> tuple[ResultsStore, RunConfig]:
    """The run's results directory with its config.json written; a resumed run keeps its
    start time, and a directory holding another run's results is refused."""
    ids = [item.id for item in items]
    run_id = settings.run_id or default_run_id(settings, spec, ids)
    store = ResultsStore(settings.results_dir / run_id)
    config = RunConfig(
        run_id=run_id,
        model=spec.alias,
        provider_model=spec.provider_model,
        library=settings.library,
        descriptor=settings.descriptor,
        task_variant=settings.task,
        dataset=dataset,
        item_ids=ids,
        repeats=settings.repeats,
        judge=settings.judge_url,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if store.config_path.exists():
        old = store.read_config()
        if old.item_ids != ids or old.provider_model != spec.provider_model:
            raise UsageError(f"{store.run_dir} holds another run's results; set another RUN_ID")
        config = config.model_copy(update={"started_at": old.started_at})
    store.write_config(config)
    return store, config
