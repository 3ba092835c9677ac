"""The `run` command: runs (or resumes) the benchmark with the settings from the environment."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.bench.data.dataset import (
    BenchDataset,
    BenchItem,
    load_bench_dataset,
    parse_ids,
    select_items,
)
from orchestrator.bench.finish import finish
from orchestrator.bench.ground_truth import GroundTruthFigures
from orchestrator.bench.instructs import BUILTIN, instructs_info, load_instructs, reference_bytes
from orchestrator.bench.models.local.fetch import local_model_path
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.models.providers import make_generator
from orchestrator.bench.models.registry import ModelSpec, resolve_model
from orchestrator.bench.pipeline import Pipeline, StageLimits
from orchestrator.bench.progress import console, progress_bars, show_executors
from orchestrator.bench.provenance import collect_provenance
from orchestrator.bench.records import RunConfig
from orchestrator.bench.resources import describe_judge, executors, judge_service, model_endpoint
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import BenchSettings, UsageError, default_run_id


async def run_bench(settings: BenchSettings, *, retry_failed: bool = False) -> Path:
    spec = model_spec(settings)
    dataset = load_bench_dataset(settings.dataset)
    instructs = load_instructs(settings.instructs, settings.dataset)
    if report := dataset.skipped_report():
        console.print(f"[yellow]{report}")
    items = select_items(
        dataset,
        ids=parse_ids(settings.ids) if settings.ids else None,
        limit=settings.limit,
        seed=settings.seed,
    )
    store, config = open_run(settings, spec, items, dataset)
    console.print(f"run [bold]{config.run_id}[/]: {len(items)} items × {settings.repeats} repeats")
    if not config.instructs or not config.instructs.reference:
        console.print(f"[yellow]instructions: {settings.instructs} (not the reference's)")

    async with AsyncExitStack() as stack:
        judge = await stack.enter_async_context(
            judge_service(settings, store.run_dir, judge_instructs(settings, store.run_dir))
        )
        if judge is not None:
            info = await describe_judge(judge, started_by_run=settings.judge_url is None)
            config = config.model_copy(update={"judge": judge.base_url, "judge_info": info})
            store.write_config(config)
        dispatcher = await stack.enter_async_context(executors(settings, store.run_dir))
        endpoint = await stack.enter_async_context(model_endpoint(spec))
        generator = await stack.enter_async_context(make_generator(spec, endpoint))
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
            timeout_s=settings.execution_timeout_s,
            progress=progress,
            retry_failed=retry_failed,
            ground_truth=GroundTruthFigures(dispatcher.execute),
        )
        await pipeline.run()
    if config.provenance is not None and pipeline.reported_model:
        provenance = config.provenance.model_copy(
            update={"provider_model_reported": pipeline.reported_model}
        )
        store.write_config(config.model_copy(update={"provenance": provenance}))
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


def judge_instructs(settings: BenchSettings, run_dir: Path) -> Path | None:
    """The instructs file a judge started by the run gets: the run's own instructions, so
    it judges with the texts (and system message) the generation used. None: builtin."""
    if settings.instructs == BUILTIN:
        return None
    if settings.instructs is not None:
        return Path(settings.instructs)
    copy = run_dir / "instructs.json"
    copy.write_bytes(reference_bytes(settings.dataset))
    return copy


def open_run(
    settings: BenchSettings, spec: ModelSpec, items: list[BenchItem], dataset: BenchDataset
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
        dataset=dataset.source,
        item_ids=ids,
        repeats=settings.repeats,
        judge=settings.judge_url,
        protocol=settings.protocol,
        self_debug=settings.debug_rounds,
        judge_rounds=settings.judge_rounds,
        instructs=instructs_info(settings.instructs),
        provenance=collect_provenance(settings, dataset),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if store.config_path.exists():
        old = store.read_config()
        if old.item_ids != ids or old.provider_model != spec.provider_model:
            raise UsageError(f"{store.run_dir} holds another run's results; set another RUN_ID")
        config = config.model_copy(update={"started_at": old.started_at})
        if old.provenance and config.provenance:  # what the model said it was stays known
            reported = old.provenance.provider_model_reported
            config.provenance.provider_model_reported = reported
    store.write_config(config)
    return store, config
