"""The shape of results/<run-id>/summary.json (computed in orchestrator.bench.stats.summary)."""

from __future__ import annotations

from pydantic import BaseModel

from orchestrator.bench.records import RunConfig


class ScoreStats(BaseModel):
    mean: float | None
    median: float | None
    good_pct: float | None  # share of scored items with score >= 75, in %
    bad_pct: float | None  # share of scored items with score <= 25, in %
    min: int | None
    max: int | None
    scored: int  # items with a parsed score
    unparsed: int  # items judged whose reply had no parsable score
    not_scored: int  # items not judged (no judge, no reference image, ...)


class RunStats(BaseModel):
    items: int  # items in the statistics (outcome "done")
    infra_errors: int  # excluded from every figure below
    failed: int = 0  # outcome `failed`: excluded too, listed in Summary.failed_items
    incorrect_code_pct: float  # % of items that produced no plot
    error_count: int  # items whose execution status was not ok
    wrong_library_count: int
    mean_generation_s: float | None
    visual: ScoreStats
    task: ScoreStats


class MeanSd(BaseModel):
    mean: float | None
    sd: float | None


class ExecutorFigures(BaseModel):
    executions: int  # executions this executor ran (final records only)
    failures: int  # of those, how many did not end "ok"
    p50_s: float | None  # median execution time, sandbox wait included


class FailedItem(BaseModel):
    item_id: int
    repeat: int
    reason: str


class Summary(BaseModel):
    run_id: str
    config: RunConfig
    stats: RunStats  # over all repeats pooled
    per_repeat: list[RunStats]
    # For REPEATS > 1: mean ± sd across repeats of each headline figure, keyed like
    # "incorrect_code_pct", "visual.mean", "task.good_pct".
    across_repeats: dict[str, MeanSd]
    judged: bool  # False: "not judged" (no judge was configured)
    executors: dict[str, ExecutorFigures] = {}  # executor URL -> its share of the run
    failed_items: list[FailedItem] = []  # outcome `failed`, retried only with --retry-failed
