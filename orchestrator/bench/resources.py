"""Starting and stopping what a run executes, generates and judges with: executors, the
model, the judge."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from judge.client import JudgeClient
from orchestrator.bench.local_judge import LocalJudge, judge_wanted
from orchestrator.bench.models.local.fetch import local_model_path
from orchestrator.bench.models.local.server import LocalModelServer
from orchestrator.bench.models.registry import Endpoint, ModelSpec
from orchestrator.bench.progress import console
from orchestrator.bench.records import JudgeInfo
from orchestrator.bench.settings import BenchSettings, UsageError
from orchestrator.client.dispatch import Dispatcher
from orchestrator.client.executors_setting import resolve_executors
from orchestrator.client.local_executor import LocalExecutor


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


@asynccontextmanager
async def model_endpoint(spec: ModelSpec) -> AsyncIterator[Endpoint]:
    """The model's endpoint; for the local model, a llama.cpp server started for the run."""
    if not spec.served_locally:
        yield spec.endpoint()
        return
    console.print(f"starting the local model server for {spec.alias} …")
    with LocalModelServer(local_model_path()) as server:
        yield server.endpoint


@asynccontextmanager
async def judge_service(
    settings: BenchSettings, run_dir: Path, instructs: Path | None
) -> AsyncIterator[JudgeClient | None]:
    """A client for JUDGE_URL, or for a judge started for this run when a judge backend is
    configured (local_judge.py); None: the run is not judged."""
    if access := settings.judge_access():
        async with JudgeClient(*access) as client:
            yield client
        return
    if settings.judge == "none" or not judge_wanted(os.environ):
        yield None
        return
    console.print("starting a judge service for this run …")
    with LocalJudge(run_dir / "logs" / "judge.log", instructs=instructs) as local:
        async with JudgeClient(local.url, local.token) as client:
            yield client


async def describe_judge(judge: JudgeClient, *, started_by_run: bool) -> JudgeInfo:
    """The judge as its service reports itself, for the run's config.json."""
    health = await judge.health()
    parameters: dict[str, float | int | str] = {"max_tokens": health.max_tokens}
    if health.temperature is not None:
        parameters["temperature"] = health.temperature
    return JudgeInfo(
        url=judge.base_url,
        judge=health.judge,
        parameters=parameters,
        instructions=f"{health.instructions} (sha256 {health.instructions_sha256})",
        started_by_run=started_by_run,
    )
