"""The ground truth's figure description: an item's `code_plot` run once in a sandbox.

The judge-free metrics (figure_metrics) compare a generated figure's description with the
ground truth's. The sandbox describes the figures of any code it runs, so the ground
truth's code runs there too, with the item's loader, in the lenient cell (every figure
counts, shown or left open). Its description is cached on disk by a hash of what it
depends on (the code, the loader, the data, DESCRIPTION_VERSION), so a dataset's ground
truth runs once per machine, and concurrent repeats of an item wait for one run.

Only outcomes that would come out the same again are cached: a description, code that
ran without a figure, or code that raised. A timeout, OOM or crash may be the machine's,
so the next run tries again.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from orchestrator.bench.cell import execution_request
from orchestrator.bench.code_extraction import uses_library
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.models.local.paths import SHARED_CACHE_DIR
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus, Library
from orchestrator.executor.figures import DESCRIPTION_VERSION, FigureDescription

GROUND_TRUTH_CACHE_DIR = SHARED_CACHE_DIR / "ground-truth"
GROUND_TRUTH_TIMEOUT_S = 120.0
NO_GROUND_TRUTH_CODE = "the dataset has no ground-truth code for this item"
# Checked in this order: seaborn code imports matplotlib too.
LIBRARIES: tuple[Library, ...] = ("plotly", "seaborn", "matplotlib")
# Runs one execution somewhere; returns the result and which executor ran it.
ExecuteFn = Callable[[ExecutionRequest], Awaitable[tuple[ExecutionResult, str]]]


class GroundTruth(BaseModel):
    """The ground truth's first figure, or why there is none."""

    figure: FigureDescription | None = None
    reason: str | None = None  # set when `figure` is None


def ground_truth_library(code: str) -> Library:
    """The library the ground-truth code draws with (matplotlib when it names none)."""
    return next((lib for lib in LIBRARIES if uses_library(code, lib)), "matplotlib")


def cache_key(item: BenchItem) -> str:
    digest = hashlib.sha256(f"v{DESCRIPTION_VERSION}\0".encode())
    for part in (item.code_plot or "", item.code_data or ""):
        digest.update(part.encode() + b"\0")
    digest.update(item.data_csv)
    return digest.hexdigest()


def ground_truth_request(item: BenchItem) -> ExecutionRequest:
    code = item.code_plot or ""
    return execution_request(
        "lenient", item, code, ground_truth_library(code), GROUND_TRUTH_TIMEOUT_S
    )


def from_result(result: ExecutionResult) -> GroundTruth:
    if result.status is not ExecutionStatus.OK:
        error = result.error
        what = f"{error.ename}: {error.evalue}" if error else result.status.value
        return GroundTruth(reason=f"the ground-truth code did not run ({what})")
    if not result.images:
        return GroundTruth(reason="the ground-truth code drew no figure")
    figure = result.figures[0] if result.figures else None
    if figure is None:
        return GroundTruth(reason="the sandbox gave no description of the ground-truth figure")
    return GroundTruth(figure=figure)


def is_lasting(result: ExecutionResult) -> bool:
    """Whether running the code again would give the same outcome (so it may be cached)."""
    return result.status in (ExecutionStatus.OK, ExecutionStatus.ERROR)


class GroundTruthFigures:
    """The ground-truth descriptions of a run's items, each computed at most once."""

    def __init__(self, execute: ExecuteFn, cache_dir: Path = GROUND_TRUTH_CACHE_DIR) -> None:
        self.execute = execute
        self.cache_dir = cache_dir
        self._locks: dict[str, asyncio.Lock] = {}

    async def of(self, item: BenchItem) -> GroundTruth:
        """Raises what `execute` raises when the executor cannot run the code."""
        if not item.code_plot:
            return GroundTruth(reason=NO_GROUND_TRUTH_CODE)
        key = cache_key(item)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._read(key)
            if cached is not None:
                return cached
            result, _ = await self.execute(ground_truth_request(item))
            truth = from_result(result)
            if is_lasting(result):
                self._write(key, truth)
            return truth

    def _path(self, key: str) -> Path:
        return self.cache_dir / f"{key}.json"

    def _read(self, key: str) -> GroundTruth | None:
        try:
            return GroundTruth.model_validate_json(self._path(key).read_bytes())
        except (OSError, ValidationError):
            return None  # absent, or torn or from another version: run it again

    def _write(self, key: str, truth: GroundTruth) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(truth.model_dump_json())
        temporary.replace(path)
