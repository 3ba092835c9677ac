"""The `rejudge` command: judges a finished run's stored plots again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from judge.api import task_text as judge_task
from judge.client import JudgeClient
from orchestrator.bench.finish import finish
from orchestrator.bench.pipeline import judge_plots
from orchestrator.bench.progress import progress_bars
from orchestrator.bench.records import ItemRecord
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import BenchSettings, UsageError


async def rejudge(run_dir: Path, settings: BenchSettings) -> Path:
    """Judges a finished run's stored plots again (free for plots the judge has cached)."""
    if not (settings.judge_url and settings.judge_token):
        raise UsageError("re-judging needs JUDGE_URL and JUDGE_TOKEN")
    store = ResultsStore(run_dir)
    store.read_config()
    records = list(store.compact().values())
    async with (
        JudgeClient(settings.judge_url, settings.judge_token.get_secret_value()) as judge,
        progress_bars() as progress,
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
