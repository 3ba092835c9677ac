"""The `rejudge` command: judges a finished run's stored plots again (each item's final
attempt, and with JUDGE_ROUNDS=all stored in the run's config its earlier ones too).

Each item is stored in rejudged.jsonl as soon as it is judged, so a killed or failed
rejudge continues where it stopped when run again; items.jsonl is replaced only once every
item has its new judgement. A judge that refuses its configuration stops it at once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from judge.api import task_text as judge_task
from judge.client import JudgeRejected, JudgeUnavailable
from orchestrator.bench.errors import RunStopped
from orchestrator.bench.finish import finish
from orchestrator.bench.pipeline import judge_attempt
from orchestrator.bench.progress import progress_bars
from orchestrator.bench.records import ItemOutcome, ItemRecord
from orchestrator.bench.resources import describe_judge, judge_service
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import BenchSettings, UsageError


class RejudgeIncomplete(RunStopped):
    """Some items could not be judged again; the ones that were are kept for the next try."""


async def rejudge(run_dir: Path, settings: BenchSettings) -> Path:
    """Judges a finished run's stored plots again (free for plots the judge has cached)."""
    store = ResultsStore(run_dir)
    every_round = store.read_config().judge_rounds == "all"
    records = store.compact()
    rejudged = store.load_rejudged()
    # Only `done` items have judgements; the others are kept as they are.
    todo = [
        record
        for key, record in records.items()
        if key not in rejudged and record.outcome == ItemOutcome.DONE
    ]
    missed: list[str] = []
    # A judge started here judges with the instructions the run stored, if it stored any.
    instructs = run_dir / "instructs.json"
    async with (
        judge_service(settings, run_dir, instructs if instructs.is_file() else None) as judge,
        progress_bars() as progress,
    ):
        if judge is None:
            raise UsageError(
                "re-judging needs a judge: JUDGE_URL and JUDGE_TOKEN, or a judge backend's "
                "key such as OPENAI_API_KEY (README, Judging)"
            )
        info = await describe_judge(judge, started_by_run=settings.judge_url is None)
        bar = progress.add_task("judge", total=len(todo))

        async def one(record: ItemRecord) -> None:
            again = record.model_copy(deep=True)
            task = judge_task(record.task.plot_description, record.task.plot_style)
            try:
                for attempt in [again, *(again.attempts if every_round else [])]:
                    await judge_attempt(
                        judge, attempt, references=record.reference_images, task=task
                    )
            except (JudgeUnavailable, JudgeRejected) as exc:
                missed.append(f"item {record.item_id} (repeat {record.repeat}): {exc}")
            else:
                await store.append_rejudged(again)
                rejudged[(record.repeat, record.item_id)] = again
            progress.advance(bar)

        async with asyncio.TaskGroup() as group:
            for record in todo:
                group.create_task(one(record))
    if missed:
        raise RejudgeIncomplete(
            f"{len(missed)} item(s) could not be judged again, e.g. {missed[0]}; the "
            f"{len(rejudged)} judged are kept in {store.rejudged_path}: run the same "
            "rejudge command again to continue"
        )
    store.merge_rejudged([rejudged.get(key, record) for key, record in records.items()])
    config = store.read_config().model_copy(update={"judge": info.url, "judge_info": info})
    store.write_config(config)
    return finish(store)
