"""`python -m orchestrator.bench`: run, re-judge, summarise and compare benchmark runs.

Settings come from the environment under the names `make bench` passes on (MODEL=,
DATASET=, LIMIT=, ...; see README). Every user error ends the program with one message
saying what to change; nothing is half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from judge.api import task_text as judge_task
from judge.client import JudgeClient, JudgeClientError
from orchestrator.bench.data.dataset import (
    DEFAULT_SEED,
    DatasetError,
    load_bench_dataset,
    parse_ids,
)
from orchestrator.bench.data.dataset import select_items as select
from orchestrator.bench.data.descriptors import DescriptorError
from orchestrator.bench.models.local import LocalModelError, LocalModelServer, local_model_path
from orchestrator.bench.models.providers import ModelError, make_generator
from orchestrator.bench.models.registry import Endpoint, ModelSpec, RegistryError, resolve_model
from orchestrator.bench.pipeline import Pipeline, StageLimits, judge_plots
from orchestrator.bench.prompts import (
    PromptError,
    check_descriptor,
    check_library,
    check_task_variant,
    load_instructs,
)
from orchestrator.bench.records import ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.report import ReportError, write_report
from orchestrator.bench.results_store import ResultsError, ResultsStore
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import comparison_table, run_table
from orchestrator.client.dispatch import Dispatcher, resolve_executors
from orchestrator.client.executor_client import ExecutorClientError
from orchestrator.client.local_executor import LocalExecutor, LocalExecutorError

console = Console(stderr=True, soft_wrap=True)


class UsageError(Exception):
    """A setting is wrong; the message says which and what to do."""


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    model: str = Field("qwen-coder-1.5b", validation_alias="MODEL")
    dataset: str | None = Field(None, validation_alias="DATASET")
    library: str = Field("matplotlib", validation_alias="LIBRARY")
    descriptor: str = Field("head", validation_alias="DESCRIPTOR")
    task: str = Field("full", validation_alias="TASK")
    limit: int | None = Field(None, ge=1, validation_alias="LIMIT")
    ids: str | None = Field(None, validation_alias="IDS")
    seed: int = Field(DEFAULT_SEED, validation_alias="SEED")
    repeats: int = Field(1, ge=1, le=100, validation_alias="REPEATS")
    instructs: Path | None = Field(None, validation_alias="INSTRUCTS")
    executors: str | None = Field(None, validation_alias="EXECUTORS")
    executor_token: SecretStr | None = Field(None, validation_alias="EXECUTOR_TOKEN")
    judge_url: str | None = Field(None, validation_alias="JUDGE_URL")
    judge_token: SecretStr | None = Field(None, validation_alias="JUDGE_TOKEN")
    run_id: str | None = Field(None, validation_alias="RUN_ID")
    results_dir: Path = Field(Path("results"), validation_alias="RESULTS_DIR")
    timeout_s: float = Field(60.0, gt=0, le=600, validation_alias="TIMEOUT_S")
    pool_size: int = Field(2, ge=1, validation_alias="POOL_SIZE")

    @field_validator("limit", mode="before")
    @classmethod
    def _all_means_no_limit(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "all" else value


def default_run_id(settings: BenchSettings, spec: ModelSpec, ids: list[int]) -> str:
    """Same command, same run id: re-running resumes instead of starting over."""
    key = json.dumps(
        [
            spec.provider_model,
            settings.library,
            settings.descriptor,
            settings.task,
            ids,
            settings.repeats,
            str(settings.dataset),
            _file_digest(settings.instructs),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in spec.alias)
    return f"{slug}-{settings.library}-{settings.descriptor}-{settings.task}-{digest}"


def _file_digest(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else None


@asynccontextmanager
async def executors(settings: BenchSettings, run_dir: Path) -> AsyncIterator[Dispatcher]:
    """A dispatcher over EXECUTORS, or over a local executor started for this run."""
    if settings.executors:
        if settings.executor_token is None:
            raise UsageError("EXECUTORS is set: set EXECUTOR_TOKEN to the executors' token too")
        urls = await resolve_executors(settings.executors)
        token = settings.executor_token.get_secret_value()
        async with Dispatcher(urls, token) as dispatcher:
            yield dispatcher
        return
    fleet = f"bench{datetime.now(UTC):%H%M%S}"
    console.print(f"starting a local executor (pool of {settings.pool_size}) …")
    local = await asyncio.to_thread(
        LocalExecutor(run_dir / "logs", fleet=fleet, pool_size=settings.pool_size).start
    )
    try:
        async with Dispatcher([local.url], local.token) as dispatcher:
            yield dispatcher
    finally:
        await asyncio.to_thread(local.stop)


async def show_executors(dispatcher: Dispatcher, progress: Progress) -> None:
    """Keeps a live line per executor under the stage bars."""
    lines = {s.url: progress.add_task(s.line(), total=None) for s in dispatcher.stats()}
    while True:
        for stats in dispatcher.stats():
            progress.update(lines[stats.url], description=stats.line())
        await asyncio.sleep(1.0)


@asynccontextmanager
async def model_endpoint(spec: ModelSpec) -> AsyncIterator[Endpoint]:
    """The model's endpoint; for the local model, a llama.cpp server started for the run."""
    if not spec.served_locally:
        yield spec.endpoint()
        return
    console.print(f"starting the local model server for {spec.alias} …")
    async with LocalModelServer(local_model_path()) as server:
        yield server.endpoint


async def run_bench(settings: BenchSettings) -> Path:
    spec = resolve_model(settings.model)
    if spec.served_locally:
        # LOCAL_MODEL_PATH may serve another GGUF: record the model actually served.
        served = LocalModelServer(local_model_path()).model_id
        spec = dataclasses.replace(spec, model_id=served)
    else:
        spec.endpoint()  # a missing key or base URL fails now, before anything starts
    library = check_library(settings.library)
    check_descriptor(settings.descriptor)
    check_task_variant(settings.task)
    instructs = load_instructs(settings.instructs)
    dataset = load_bench_dataset(settings.dataset)
    if report := dataset.skipped_report():
        console.print(f"[yellow]{report}")
    items = select(
        dataset,
        ids=parse_ids(settings.ids) if settings.ids else None,
        limit=settings.limit,
        seed=settings.seed,
    )
    ids = [item.id for item in items]
    run_id = settings.run_id or default_run_id(settings, spec, ids)
    store = ResultsStore(settings.results_dir / run_id)
    config = RunConfig(
        run_id=run_id,
        model=spec.alias,
        provider_model=spec.provider_model,
        library=library,
        descriptor=settings.descriptor,
        task_variant=settings.task,
        dataset=dataset.source,
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
    console.print(f"run [bold]{run_id}[/]: {len(items)} items × {settings.repeats} repeats")

    if settings.judge_url and settings.judge_token is None:
        raise UsageError("JUDGE_URL is set: set JUDGE_TOKEN to the judge's token too")
    async with AsyncExitStack() as stack:
        dispatcher = await stack.enter_async_context(executors(settings, store.run_dir))
        endpoint = await stack.enter_async_context(model_endpoint(spec))
        generator = await stack.enter_async_context(make_generator(spec, endpoint))
        judge = None
        if settings.judge_url and settings.judge_token:
            judge = await stack.enter_async_context(
                JudgeClient(settings.judge_url, settings.judge_token.get_secret_value())
            )
        progress = await stack.enter_async_context(_progress())
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
        )
        await pipeline.run()
    return finish(store)


async def rejudge(run_dir: Path, settings: BenchSettings) -> Path:
    """Judges a finished run's stored plots again (free for plots the judge has cached)."""
    if not (settings.judge_url and settings.judge_token):
        raise UsageError("re-judging needs JUDGE_URL and JUDGE_TOKEN")
    store = ResultsStore(run_dir)
    store.read_config()
    records = list(store.compact().values())
    async with (
        JudgeClient(settings.judge_url, settings.judge_token.get_secret_value()) as judge,
        _progress() as progress,
    ):
        bar = progress.add_task("judge", total=len(records))

        async def one(record: ItemRecord) -> ItemRecord:
            visual, task = await judge_plots(
                judge,
                images=record.images,
                references=record.reference_images,
                task=judge_task(record.task.plot_description, record.task.plot_style),
                wrong_library=record.wrong_library,
            )
            progress.advance(bar)
            return record.model_copy(update={"visual": visual, "task_score": task})

        rejudged = await asyncio.gather(*(one(record) for record in records))
    store.rewrite(list(rejudged))
    config = store.read_config().model_copy(update={"judge": settings.judge_url})
    store.write_config(config)
    return finish(store)


@asynccontextmanager
async def _progress() -> AsyncIterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        yield progress


def finish(store: ResultsStore) -> Path:
    """Summary, closing table and report from what is stored."""
    records = store.load()
    config = store.read_config()
    summary = build_summary(config, records)
    store.write_summary(summary)
    Console().print(run_table(summary))
    infra = sum(r.outcome == ItemOutcome.INFRA_ERROR for r in records)
    if infra:
        console.print(
            f"[yellow]{infra} item(s) hit infrastructure errors; run the same command "
            "again to retry them"
        )
    if config.judge is None:
        console.print(
            "[yellow]not judged (no JUDGE_URL): start a judge (README, Judging), then "
            f"`python -m orchestrator.bench rejudge {store.run_dir}` with JUDGE_URL and "
            "JUDGE_TOKEN set"
        )
    write_report([store.run_dir], store.report_path)
    print(f"summary: {store.summary_path}")
    print(f"report:  {store.report_path}")
    return store.report_path


def load_summaries(run_dirs: Sequence[Path]) -> list[Summary]:
    summaries = []
    for run_dir in run_dirs:
        store = ResultsStore(run_dir)
        if not store.summary_path.exists():
            raise UsageError(f"{store.summary_path} is missing; run `stats {run_dir}` first")
        summaries.append(Summary.model_validate_json(store.summary_path.read_text()))
    return summaries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run (or resume) the benchmark with settings from the env")
    again = sub.add_parser("rejudge", help="judge a run's stored plots again (JUDGE_URL)")
    again.add_argument("run_dir", type=Path)
    stats = sub.add_parser("stats", help="recompute summary.json, table and report of a run")
    stats.add_argument("run_dir", type=Path)
    compare = sub.add_parser("compare", help="several runs side by side (Tables I-III)")
    compare.add_argument("run_dirs", type=Path, nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            asyncio.run(run_bench(BenchSettings()))
        elif args.command == "rejudge":
            asyncio.run(rejudge(args.run_dir, BenchSettings()))
        elif args.command == "stats":
            finish(ResultsStore(args.run_dir))
        else:
            Console().print(comparison_table(load_summaries(args.run_dirs)))
    except ValidationError as exc:
        console.print(f"[red]invalid setting:[/] {exc}")
        return 2
    except (
        UsageError,
        RegistryError,
        DatasetError,
        PromptError,
        DescriptorError,
        ResultsError,
        ModelError,
        LocalModelError,
        LocalExecutorError,
        ExecutorClientError,
        JudgeClientError,
        ReportError,
    ) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; finished items are saved, run again to resume")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
