"""What the bench shows while it works: messages and progress bars on stderr.

Outside a terminal (CI, `| tee`, a file) the output is a log: printed as wide as the widest
table instead of rich's 80 columns, which cut names and headers, and the progress comes as
plain lines whenever it changed instead of a live bar squeezed into a line.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TextColumn,
    TimeRemainingColumn,
)

from orchestrator.client.dispatch import Dispatcher

LOG_WIDTH = 200  # fits the widest table with long model names
LOG_INTERVAL_S = 10.0


def output_console(file: IO[str] | None = None, *, stderr: bool = False) -> Console:
    """A console that is as wide as COLUMNS, the terminal or, in a log, LOG_WIDTH."""
    console = Console(file=file, stderr=stderr, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = LOG_WIDTH
    return console


console = output_console(stderr=True)


@asynccontextmanager
async def progress_bars(to: Console = console) -> AsyncIterator[Progress]:
    if not to.is_terminal:
        async with progress_lines(to) as progress:
            yield progress
        return
    progress = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=to,
    )
    with progress:
        yield progress


@asynccontextmanager
async def progress_lines(to: Console) -> AsyncIterator[Progress]:
    """The same tasks as progress_bars, printed as lines every LOG_INTERVAL_S if changed."""
    progress = Progress(console=to, disable=True)
    printed = ""

    def print_changes() -> None:
        nonlocal printed
        text = "\n".join(task_line(task) for task in progress.tasks)
        if text and text != printed:
            to.print(text)
            printed = text

    async def every_interval() -> None:
        while True:
            await asyncio.sleep(LOG_INTERVAL_S)
            print_changes()

    printer = asyncio.create_task(every_interval())
    try:
        yield progress
    finally:
        printer.cancel()
        print_changes()


def task_line(task: Task) -> str:
    if task.total is None:
        return task.description
    return f"{task.description:>8} {task.completed:g}/{task.total:g} ({task.elapsed or 0:.0f} s)"


async def show_executors(dispatcher: Dispatcher, progress: Progress) -> None:
    """Keeps a live line per executor under the stage bars."""
    lines = {s.url: progress.add_task(s.line(), total=None) for s in dispatcher.stats()}
    while True:
        for stats in dispatcher.stats():
            progress.update(lines[stats.url], description=stats.line())
        await asyncio.sleep(1.0)
