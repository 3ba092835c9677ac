"""The statistics of a run, computed from its item records (summary.json).

The reference is `VisJudge.calculate_stats` / `calculate_stats_by_type` in
JetBrains-Research/PandasPlotBench (plotting_benchmark/vis_judge.py). summary.json holds two
sets of figures over the same items: `reference` (`reference_stats`, the reference's
formulas and rounding) and `stats` (`run_stats`, the project's own). The items in the
statistics, N, are the last record of each item per repeat whose outcome is `done`.
`infra_error` and `failed` items are left out of every figure of both sets and only counted
(the `failed` ones listed with their reason): an endpoint that failed, or a request nobody
could serve, is not the model's outcome. The reference has no such items.

Each score (visual, task) of a `done` item is first given one of four states:
  * not scored: visual only, the item has no reference image; or no judge was configured
    for the run ("not judged");
  * scored 0: the code did not import the target library, or it produced no plot (the
    reference's rule: the judge is not asked);
  * scored n: the judge's parsed score;
  * unparsed: the judge replied but its reply had no parsable score.

`reference`, as the reference computes it:

- no_plots = items with no generated PNG; wrong_libs = items whose code does not import the
  target library; error_number = items whose execution had an error: in ppb status error,
  timeout, oom or crashed; in lenient any status other than `ok` (`no_code` and a missing
  execution too). error_rate = error_number / N, rounded to 3 places (the reference divides
  by its scored items, which after filling missing scores with 0 are all N items).
- response_mean_length_symb = mean len(response); task_mean_length_symb = mean len of the
  user prompt (the reference's "task" is the whole user prompt), both rounded to 0 places;
  time_used_per_item = mean generation time, rounded to 1 place.
- per score: in ppb every item is scored, unparsed and not-scored items count 0 (the
  reference fills missing scores with 0); in lenient they are left out. Over those items:
  mean and median are int() of the mean and median (truncation), good = #(score >= 75) / S
  and bad = #(score <= 25) / S rounded to 2 places, min, max; all null when S = 0, and the
  whole score null when the run was not judged (no zeros invented). Rounding is numpy's
  (`reference_round`), as the reference rounds numpy floats.

`stats`, the project's own figures (mean ± sd across repeats only for these):

- incorrect code % = 100 * (items that produced no plot) / N.
- error count = items whose execution status is not `ok`, `no_code` included.
- wrong-library count, mean generation time (not rounded).
- per score, over the S items scored n or 0: mean, median, good % = 100 * #(score >= 75) /
  S, bad % = 100 * #(score <= 25) / S, min, max; all null when S = 0.

Deliberate differences of `stats` from the reference, with the reason:

- Unparsed judge replies are left out of the score figures and counted as `unparsed`. The
  reference fills them with 0 before counting (so its own `unparsed` is always 0), which
  charges a judge's formatting slip to the model.
- Mean and median are kept as floats (the reference truncates them with `int()`); good and
  bad are percentages (the reference: fractions rounded to 2 places); the mean generation
  time is not rounded (the reference: 0.1 s). Rounding is left to the tables.
- The error count counts every execution status other than `ok` (the reference: a non-empty
  error string); a timeout or OOM kill is an error here too.
- Wrong library is an AST import check, not a substring test (see code_extraction).
- Items without a reference image have no visual score (the reference assumes every item
  has one); items lost to infrastructure failures are excluded rather than scored.

Repeats: each repeat gets its own RunStats; the pooled stats treat all repeats' items as one
set; `across_repeats` gives, for each headline figure, the mean and the sample standard
deviation (n - 1) over the repeats, as the paper's "mean ± sd" (null if any repeat lacks
the figure).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from orchestrator.bench.records import (
    REFERENCE_PROTOCOLS,
    ExecStatus,
    ItemOutcome,
    ItemRecord,
    Protocol,
    RunConfig,
)
from orchestrator.bench.stats.figure_metrics import figure_metrics_stats
from orchestrator.bench.stats.items import (
    BAD_SCORE,
    GOOD_SCORE,
    ItemScore,
    ScoreKind,
    counted_values,
    done_records,
    final_records,
    item_score,
)
from orchestrator.bench.stats.models import (
    ExecutorFigures,
    FailedItem,
    MeanSd,
    ReferenceScores,
    ReferenceStats,
    RunStats,
    ScoreStats,
    Summary,
)
from orchestrator.bench.stats.self_debug import self_debug_stats

PPB_ERRORS = frozenset({ExecStatus.ERROR, ExecStatus.TIMEOUT, ExecStatus.OOM, ExecStatus.CRASHED})
HEADLINE_FIGURES = (
    "incorrect_code_pct",
    "error_count",
    "wrong_library_count",
    "mean_generation_s",
    *(
        f"{kind}.{figure}"
        for kind in ("visual", "task")
        for figure in ("mean", "median", "good_pct", "bad_pct")
    ),
)


class StatsError(ValueError):
    """Records that cannot be summarised together (e.g. from another run)."""


def had_error(record: ItemRecord, protocol: Protocol) -> bool:
    """Whether the item's execution had an error, by the protocol's rule (module docstring)."""
    status = None if record.execution is None else record.execution.status
    return status in PPB_ERRORS if protocol in REFERENCE_PROTOCOLS else status != ExecStatus.OK


def score_stats(scores: Sequence[ItemScore]) -> ScoreStats:
    values = [s.value for s in scores if s.state == "scored" and s.value is not None]
    unparsed = sum(s.state == "unparsed" for s in scores)
    not_scored = sum(s.state == "not_scored" for s in scores)
    if not values:
        return ScoreStats(
            mean=None,
            median=None,
            good_pct=None,
            bad_pct=None,
            min=None,
            max=None,
            scored=0,
            unparsed=unparsed,
            not_scored=not_scored,
        )
    return ScoreStats(
        mean=statistics.fmean(values),
        median=float(statistics.median(values)),
        good_pct=100 * sum(v >= GOOD_SCORE for v in values) / len(values),
        bad_pct=100 * sum(v <= BAD_SCORE for v in values) / len(values),
        min=min(values),
        max=max(values),
        scored=len(values),
        unparsed=unparsed,
        not_scored=not_scored,
    )


def run_stats(records: Iterable[ItemRecord], *, judged: bool) -> RunStats:
    """Statistics over records (deduplicated with `final_records` first)."""
    latest = final_records(records)
    done = [r for r in latest if r.outcome == ItemOutcome.DONE]
    n = len(done)
    return RunStats(
        items=n,
        infra_errors=sum(r.outcome == ItemOutcome.INFRA_ERROR for r in latest),
        failed=sum(r.outcome == ItemOutcome.FAILED for r in latest),
        incorrect_code_pct=100 * sum(not r.images for r in done) / n if n else 0.0,
        error_count=sum(had_error(r, "lenient") for r in done),
        wrong_library_count=sum(r.wrong_library for r in done),
        mean_generation_s=statistics.fmean(r.timings.generation_s for r in done) if n else None,
        visual=score_stats([item_score(r, "visual", judged=judged) for r in done]),
        task=score_stats([item_score(r, "task", judged=judged) for r in done]),
    )


def reference_round(value: float, places: int) -> float:
    """numpy's rounding (scale, round half to even, scale back), which the reference gets
    from rounding numpy floats; Python's round(value, places) differs on some ties."""
    scale = 10.0**places
    return round(value * scale) / scale


def reference_scores(scores: Sequence[ItemScore], protocol: Protocol) -> ReferenceScores:
    values = counted_values(scores, protocol)
    n = len(values)
    return ReferenceScores(
        mean=int(statistics.fmean(values)) if n else None,
        median=int(statistics.median(values)) if n else None,
        good=reference_round(sum(v >= GOOD_SCORE for v in values) / n, 2) if n else None,
        bad=reference_round(sum(v <= BAD_SCORE for v in values) / n, 2) if n else None,
        min=min(values, default=None),
        max=max(values, default=None),
        num_scored_items=n,
        unparsed=sum(s.state == "unparsed" for s in scores),
        not_scored=sum(s.state == "not_scored" for s in scores),
    )


def reference_stats(
    records: Iterable[ItemRecord], protocol: Protocol, *, judged: bool
) -> ReferenceStats:
    """The reference's figures over records (deduplicated with `final_records` first)."""
    done = done_records(records)
    n = len(done)
    errors = sum(had_error(r, protocol) for r in done)

    def mean(values: Iterable[float], places: int) -> float | None:
        return reference_round(statistics.fmean(values), places) if n else None

    def scores(kind: ScoreKind) -> ReferenceScores | None:
        if not judged:
            return None
        return reference_scores([item_score(r, kind, judged=True) for r in done], protocol)

    return ReferenceStats(
        items=n,
        no_plots=sum(not r.images for r in done),
        wrong_libs=sum(r.wrong_library for r in done),
        error_number=errors,
        error_rate=reference_round(errors / n, 3) if n else None,
        response_mean_length_symb=mean((len(r.response) for r in done), 0),
        task_mean_length_symb=mean((len(r.prompt.user) for r in done), 0),
        time_used_per_item=mean((r.timings.generation_s for r in done), 1),
        visual=scores("visual"),
        task=scores("task"),
    )


def build_summary(config: RunConfig, records: Iterable[ItemRecord]) -> Summary:
    """summary.json: pooled stats, stats per repeat, mean ± sd across repeats and, with
    self-debug, VisCoder's figures (stats.self_debug)."""
    latest = final_records(records)
    foreign = sorted({r.run_id for r in latest} - {config.run_id})
    if foreign:
        raise StatsError(
            f"records of run(s) {', '.join(foreign)} given with run {config.run_id}; "
            "summarise each run on its own"
        )
    judged = config.judge is not None
    repeats = sorted({r.repeat for r in latest})
    per_repeat = [
        run_stats((r for r in latest if r.repeat == repeat), judged=judged) for repeat in repeats
    ]
    return Summary(
        run_id=config.run_id,
        config=config,
        stats=run_stats(latest, judged=judged),
        per_repeat=per_repeat,
        across_repeats=across_repeats(per_repeat) if len(per_repeat) > 1 else {},
        judged=judged,
        reference=reference_stats(latest, config.protocol, judged=judged),
        executors=executor_figures(latest),
        failed_items=[
            FailedItem(item_id=r.item_id, repeat=r.repeat, reason=r.failure or "no reason stored")
            for r in latest
            if r.outcome == ItemOutcome.FAILED
        ],
        self_debug=self_debug_stats(config, latest),
        figure_metrics=figure_metrics_stats(
            [r for r in latest if r.outcome == ItemOutcome.DONE], judged=judged
        ),
    )


def executor_figures(records: Iterable[ItemRecord]) -> dict[str, ExecutorFigures]:
    """Per executor: how many executions it ran, how many failed, their median time."""
    times: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    for record in records:
        execution = record.execution
        if execution is None or execution.executor is None:
            continue
        times.setdefault(execution.executor, []).append(record.timings.execution_s)
        failures[execution.executor] = failures.get(execution.executor, 0) + (
            execution.status != ExecStatus.OK
        )
    return {
        url: ExecutorFigures(
            executions=len(values),
            failures=failures[url],
            p50_s=round(statistics.median(values), 3),
        )
        for url, values in sorted(times.items())
    }


def across_repeats(per_repeat: Sequence[RunStats]) -> dict[str, MeanSd]:
    figures: dict[str, MeanSd] = {}
    for name in HEADLINE_FIGURES:
        values = [figure(stats, name) for stats in per_repeat]
        present = [v for v in values if v is not None]
        if len(present) < len(values) or len(present) < 2:
            figures[name] = MeanSd(mean=None, sd=None)
        else:
            figures[name] = MeanSd(mean=statistics.fmean(present), sd=statistics.stdev(present))
    return figures


def figure(stats: RunStats, name: str) -> float | None:
    """A headline figure by its dotted name, e.g. "visual.good_pct"."""
    value: object = stats
    for part in name.split("."):
        value = getattr(value, part)
    if value is None:
        return None
    if not isinstance(value, int | float):
        raise StatsError(f"{name} is not a number")
    return float(value)
