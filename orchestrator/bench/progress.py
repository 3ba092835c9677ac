"""What the bench shows while it works: messages and progress bars on stderr."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from orchestrator.client.dispatch import Dispatcher

console = Console(stderr=True, soft_wrap=True)


@asynccontextmanager
async def progress_bars() -> AsyncIterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        yield progress


async def show_executors(dispatcher: Dispatcher, progress: Progress) -> None:
    """Keeps a live line per executor under the stage bars."""
    lines = {s.url: progress.add_task(s.line(), total=None) for s in dispatcher.stats()}
    while True:
        for stats in dispatcher.stats():
            progress.update(lines[stats.url], description=stats.line())
        await asyncio.sleep(1.0)
