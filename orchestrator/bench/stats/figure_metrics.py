"""The summary's judge-free figure metrics: their statistics and their agreement with the judge.

Over the `done` items (all repeats pooled) whose final attempt was scored: an item scores 0
on every metric when it drew nothing or used the wrong library, and is left out ("not
scored") when there is no ground-truth figure (figure_scoring.py). The statistics are the
judge's: mean, median, good (>= 75) and bad (<= 25) shares. The correlations are over the
items that have both the metric and the judge's score; the paper's own point of comparison
is the task score's correlation with the visual one, given beside them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

from orchestrator.bench.figure_metrics.scores import FigureScores
from orchestrator.bench.records import ItemRecord
from orchestrator.bench.stats.items import BAD_SCORE, GOOD_SCORE, ScoreKind, item_score
from orchestrator.bench.stats.models import Correlation, FigureMetricsStats, MetricStats

METRICS: tuple[str, ...] = tuple(FigureScores.model_fields)
JUDGE_SCORES: tuple[ScoreKind, ...] = ("visual", "task")


def metric_stats(values: Sequence[float]) -> MetricStats:
    if not values:
        return MetricStats(mean=None, median=None, good_pct=None, bad_pct=None, scored=0)
    return MetricStats(
        mean=statistics.fmean(values),
        median=statistics.median(values),
        good_pct=100 * sum(v >= GOOD_SCORE for v in values) / len(values),
        bad_pct=100 * sum(v <= BAD_SCORE for v in values) / len(values),
        scored=len(values),
    )


def correlation(pairs: Sequence[tuple[float, float]]) -> Correlation:
    """Pearson's and Spearman's r; None when there are fewer than 3 pairs or a side is constant."""
    if len(pairs) < 3:
        return Correlation(pearson=None, spearman=None, items=len(pairs))
    x, y = (np.asarray(side, dtype=float) for side in zip(*pairs, strict=True))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return Correlation(pearson=None, spearman=None, items=len(pairs))
    return Correlation(
        pearson=float(np.corrcoef(x, y)[0, 1]),
        spearman=float(np.corrcoef(rankdata(x), rankdata(y))[0, 1]),
        items=len(pairs),
    )


def figure_metrics_stats(done: Sequence[ItemRecord], *, judged: bool) -> FigureMetricsStats | None:
    """None when no item was scored (no ground truth anywhere, or records from before)."""
    scored = [r for r in done if r.figure_metrics.scores is not None]
    if not scored:
        return None
    not_scored = Counter(
        r.figure_metrics.reason or "not computed" for r in done if r.figure_metrics.scores is None
    )
    judge = {
        kind: {id(r): item_score(r, kind, judged=judged) for r in scored} for kind in JUDGE_SCORES
    }

    def judge_value(record: ItemRecord, kind: ScoreKind) -> float | None:
        score = judge[kind][id(record)]
        return float(score.value) if score.state == "scored" and score.value is not None else None

    def values(metric: str) -> list[tuple[ItemRecord, float]]:
        return [(r, float(getattr(r.figure_metrics.scores, metric))) for r in scored]

    def agreement(metric: str) -> dict[str, Correlation]:
        return {
            kind: correlation(
                [(v, j) for r, v in values(metric) if (j := judge_value(r, kind)) is not None]
            )
            for kind in JUDGE_SCORES
        }

    task_visual = [
        (t, v)
        for r in scored
        if (t := judge_value(r, "task")) is not None and (v := judge_value(r, "visual")) is not None
    ]
    return FigureMetricsStats(
        items=len(done),
        scored=len(scored),
        not_scored=dict(not_scored),
        metrics={m: metric_stats([v for _, v in values(m)]) for m in METRICS},
        correlations={m: agreement(m) for m in METRICS} if judged else {},
        task_visual=correlation(task_visual) if judged else None,
    )
