"""The shape of results/<run-id>/summary.json (computed in orchestrator.bench.stats.summary).

Two sets of figures: `stats`, `per_repeat` and `across_repeats` are the project's own
(`RunStats`: floats, percentages, unparsed replies left out); `reference` holds the figures
of the reference's `calculate_stats` with its formulas and rounding (`ReferenceStats`).
`self_debug` holds VisCoder's self-debug figures (orchestrator.bench.stats.self_debug).
"""

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
    """The project's own figures."""

    items: int  # items in the statistics (outcome "done")
    infra_errors: int  # excluded from every figure below
    failed: int = 0  # outcome `failed`: excluded too, listed in Summary.failed_items
    incorrect_code_pct: float  # % of items that produced no plot
    error_count: int  # items whose execution status was not ok
    wrong_library_count: int
    mean_generation_s: float | None
    visual: ScoreStats
    task: ScoreStats


class ReferenceScores(BaseModel):
    """One score as the reference's `calculate_stats_by_type` gives it."""

    mean: int | None  # int() of the mean: truncated, not rounded
    median: int | None  # int() of the median
    good: float | None  # fraction of the items with score >= 75, rounded to 2 places
    bad: float | None  # fraction with score <= 25, rounded to 2 places
    min: int | None
    max: int | None
    num_scored_items: int  # items these figures are over
    unparsed: int  # judge replies without a parsable score: 0 in ppb, left out in lenient
    not_scored: int  # items without a score for another reason: 0 in ppb, left out in lenient


class ReferenceStats(BaseModel):
    """The reference's `calculate_stats`, its key names kept, under the run's protocol."""

    items: int  # items in the statistics (outcome "done"), as in RunStats
    no_plots: int  # items with no generated image
    wrong_libs: int
    error_number: int  # items whose execution had an error (the protocol decides which)
    error_rate: float | None  # error_number / items, rounded to 3 places
    response_mean_length_symb: float | None  # mean len(response), rounded to 0 places
    task_mean_length_symb: float | None  # mean len of the user prompt, rounded to 0 places
    time_used_per_item: float | None  # mean generation time, s, rounded to 1 place
    visual: ReferenceScores | None  # None: not judged
    task: ReferenceScores | None


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


class DebugRound(BaseModel):
    """One column of VisCoder's self-debug table: the state after round `round`."""

    round: int
    label: str  # "Init" for round 0, then "A1".."Ak"
    passed: int  # items whose latest attempt up to this round passes (VisCoder's rule)
    pass_pct: float | None  # 100 * passed / items; None when there are no items
    took_part: int  # items with an attempt in this round
    fixed: int | None  # of those, how many ran and drew a plot; None for Init
    # With JUDGE_ROUNDS=all, the mean scores of each item's latest attempt up to this round
    # (the reference protocols count a missing score as 0); None otherwise.
    visual_mean: float | None = None
    task_mean: float | None = None


class DebugCost(BaseModel):
    """What the debug attempts (round >= 1) added, summed per item."""

    per_item: float | None  # mean over all items; None when a count is unknown
    per_debugged_item: float | None  # mean over the items that were debugged


class SelfDebugStats(BaseModel):
    """VisCoder's self-debug figures, all repeats pooled (`done` items only)."""

    rounds: int  # the configured rounds (SELF_DEBUG)
    items: int
    debugged: int  # items with at least one debug attempt
    stopped: int  # items whose debugging stopped early (ItemRecord.debug_stopped)
    per_round: list[DebugRound]  # rounds 0..rounds
    generation_s: DebugCost
    output_tokens: DebugCost
    input_tokens: DebugCost


class MetricStats(BaseModel):
    """One judge-free figure metric over the scored items (0-100, floats)."""

    mean: float | None
    median: float | None
    good_pct: float | None  # share with the metric >= 75, in %
    bad_pct: float | None  # share <= 25, in %
    scored: int


class Correlation(BaseModel):
    pearson: float | None  # None: fewer than 3 items, or one side constant
    spearman: float | None
    items: int  # the items with both scores


class FigureMetricsStats(BaseModel):
    """The judge-free figure metrics (stats.figure_metrics), all repeats pooled."""

    items: int  # `done` items
    scored: int  # of those, with metrics (0 for no plot counts as scored)
    not_scored: dict[str, int]  # why the others have none -> how many
    metrics: dict[str, MetricStats]  # text, layout, chart_type, colour, data, overall
    # metric -> judge score ("visual", "task") -> agreement; empty when not judged
    correlations: dict[str, dict[str, Correlation]]
    task_visual: Correlation | None  # the judge's task score against its visual score


class Summary(BaseModel):
    run_id: str
    config: RunConfig
    stats: RunStats  # the project's figures, over all repeats pooled
    per_repeat: list[RunStats]
    # For REPEATS > 1: mean ± sd across repeats of each headline figure, keyed like
    # "incorrect_code_pct", "visual.mean", "task.good_pct".
    across_repeats: dict[str, MeanSd]
    judged: bool  # False: "not judged" (no judge was configured)
    # The reference's figures, all repeats pooled; None in a summary.json written before
    # they existed (`python -m orchestrator.bench stats <run_dir>` recomputes it).
    reference: ReferenceStats | None = None
    executors: dict[str, ExecutorFigures] = {}  # executor URL -> its share of the run
    failed_items: list[FailedItem] = []  # outcome `failed`, retried only with --retry-failed
    self_debug: SelfDebugStats | None = None  # None: the run had no self-debug
    # None: no item had a ground-truth figure to be scored against
    figure_metrics: FigureMetricsStats | None = None
