"""VisCoder's self-debug figures of a run: summary.json's `self_debug` (SelfDebugStats).

Over the `done` items of all repeats pooled (N, as in `stats`). An item's attempts are its
earlier ones (`ItemRecord.attempts`) followed by the record itself, its final attempt.
For each round r = 0..rounds (the configured SELF_DEBUG):

- passed: the items whose latest attempt with round <= r passes by VisCoder's rule
  (orchestrator.bench.self_debug.passes); pass % = 100 * passed / N. Round 0 is VisCoder's
  `Init`, round r its `Post A<r>`. An item that ran cleanly but drew nothing passes `Init`
  and is still debugged; if its debug attempt then errs, it no longer passes.
- took part: the items with an attempt in round r; fixed (r >= 1): of those attempts, the
  ones that ran and drew a plot (not self_debug.failed).
- with JUDGE_ROUNDS=all and a judge: the mean visual and task score of the same latest
  attempts, by the rules of stats.summary (the reference protocols count a missing score
  as 0, lenient leaves it out).

The cost of debugging: per item, the sum over its attempts of round >= 1 of the generation
time and of the output and input tokens; averaged over all N items and over the debugged
ones. A token figure is null when a debug attempt did not report its count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from statistics import fmean

from orchestrator.bench.records import AttemptResult, ItemRecord, RunConfig
from orchestrator.bench.self_debug import failed, passes
from orchestrator.bench.stats.items import ScoreKind, attempt_score, counted_values, done_records
from orchestrator.bench.stats.models import DebugCost, DebugRound, SelfDebugStats

History = list[AttemptResult]  # one item's attempts, in round order


def round_label(round_: int) -> str:
    return "Init" if round_ == 0 else f"A{round_}"


def self_debug_stats(config: RunConfig, records: Iterable[ItemRecord]) -> SelfDebugStats | None:
    """The figures of the module doc; None when the run had no self-debug."""
    if config.self_debug == 0:
        return None
    done = done_records(records)
    histories: list[History] = [[*record.attempts, record] for record in done]
    debug = [[a for a in history if a.round >= 1] for history in histories]
    return SelfDebugStats(
        rounds=config.self_debug,
        items=len(done),
        debugged=sum(bool(attempts) for attempts in debug),
        stopped=sum(record.debug_stopped is not None for record in done),
        per_round=[
            _round(config, done, histories, round_) for round_ in range(config.self_debug + 1)
        ],
        generation_s=_cost(debug, lambda a: a.timings.generation_s),
        output_tokens=_cost(debug, lambda a: a.usage.output_tokens),
        input_tokens=_cost(debug, lambda a: a.usage.input_tokens),
    )


def _latest(history: History, round_: int) -> AttemptResult | None:
    return next((a for a in reversed(history) if a.round <= round_), None)


def _round(
    config: RunConfig, done: Sequence[ItemRecord], histories: Sequence[History], round_: int
) -> DebugRound:
    latest = [_latest(history, round_) for history in histories]
    passed = sum(a is not None and passes(a) for a in latest)
    in_round = [a for history in histories for a in history if a.round == round_]
    scored = config.judge is not None and config.judge_rounds == "all"

    def mean_score(kind: ScoreKind) -> float | None:
        if not scored:
            return None
        scores = [
            attempt_score(a, kind, judged=True, has_reference=bool(record.reference_images))
            for a, record in zip(latest, done, strict=True)
            if a is not None
        ]
        values = counted_values(scores, config.protocol)
        return fmean(values) if values else None

    return DebugRound(
        round=round_,
        label=round_label(round_),
        passed=passed,
        pass_pct=100 * passed / len(done) if done else None,
        took_part=len(in_round),
        fixed=sum(not failed(a) for a in in_round) if round_ else None,
        visual_mean=mean_score("visual"),
        task_mean=mean_score("task"),
    )


def _cost(debug: Sequence[History], count: Callable[[AttemptResult], float | None]) -> DebugCost:
    counts = [[count(a) for a in attempts] for attempts in debug]
    if any(c is None for item in counts for c in item):
        return DebugCost(per_item=None, per_debugged_item=None)
    sums = [sum(c for c in item if c is not None) for item in counts]
    debugged = [total for total, attempts in zip(sums, debug, strict=True) if attempts]
    return DebugCost(
        per_item=fmean(sums) if sums else None,
        per_debugged_item=fmean(debugged) if debugged else None,
    )
