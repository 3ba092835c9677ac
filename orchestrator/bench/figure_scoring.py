"""Which figure of an attempt is scored against which, and what a missing one scores.

The judge-free metrics (figure_metrics.scores) score the attempt's first figure against
the ground truth's first, as the visual judge gets the first image of each. Without a
ground-truth figure there is nothing to score against: "not scored", never 0. With one, an
attempt that drew nothing, or used the wrong library, scores 0 on every metric, as the
judge's scores do; so does a plot whose figure the sandbox could not describe (the code
drew it some other way than through a figure, e.g. by displaying a saved PNG).
"""

from __future__ import annotations

from orchestrator.bench.figure_metrics.scores import FigureScores, score_figures
from orchestrator.bench.ground_truth import GroundTruth
from orchestrator.bench.records import AttemptResult, FigureMetrics

ZERO = FigureScores(text=0, layout=0, chart_type=0, colour=0, data=0, overall=0)


def figure_metrics(attempt: AttemptResult, truth: GroundTruth) -> FigureMetrics:
    if truth.figure is None:
        return FigureMetrics(reason=truth.reason or "no ground-truth figure")
    if attempt.wrong_library:
        return FigureMetrics(scores=ZERO, reason="wrong library")
    if not attempt.images:
        return FigureMetrics(scores=ZERO, reason="no plot")
    figure = attempt.figures[0] if attempt.figures else None
    if figure is None:
        return FigureMetrics(scores=ZERO, reason="the plot came without a figure description")
    return FigureMetrics(scores=score_figures(figure, truth.figure))
