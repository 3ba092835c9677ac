"""rich tables of the judge-free figure metrics (stats.figure_metrics) of a run summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table

from orchestrator.bench.stats.models import Correlation, FigureMetricsStats, Summary

MISSING = "-"
LABELS = {
    "text": "text",
    "layout": "layout",
    "chart_type": "chart type",
    "colour": "colour",
    "data": "data",
    "overall": "overall",
}


def figure_metrics_tables(summary: Summary) -> list[RenderableType]:
    """The metrics' statistics and, when judged, their correlations with the judge."""
    stats = summary.figure_metrics
    if stats is None:
        return []
    table = Table(title=f"Figure metrics (no judge): {stats.scored} of {stats.items} items scored")
    table.add_column("metric")
    for header in ("mean", "median", "good, %", "bad, %"):
        table.add_column(header, justify="right")
    if stats.correlations:
        for header in ("r visual", "ρ visual", "r task", "ρ task"):
            table.add_column(header, justify="right")
    for metric, values in stats.metrics.items():
        row = [LABELS.get(metric, metric)]
        row.extend(
            _number(v) for v in (values.mean, values.median, values.good_pct, values.bad_pct)
        )
        if stats.correlations:
            for kind in ("visual", "task"):
                agreement = stats.correlations[metric][kind]
                row.extend((_r(agreement.pearson), _r(agreement.spearman)))
        table.add_row(*row)
    parts: list[RenderableType] = [table]
    if notes := _notes(stats):
        parts.append(notes)
    return parts


def overall_cell(summary: Summary) -> str:
    """The mean overall figure metric, for `make compare`."""
    stats = summary.figure_metrics
    if stats is None or "overall" not in stats.metrics:
        return "not scored"
    return _number(stats.metrics["overall"].mean)


def figure_metrics_comparison_table(summaries: Sequence[Summary]) -> Table | None:
    """Each metric's mean, one row per run; None when no run has figure metrics."""
    if all(s.figure_metrics is None for s in summaries):
        return None
    table = Table(title="Figure metrics (no judge): mean of each metric")
    table.add_column("Run")
    table.add_column("Model")
    table.add_column("scored", justify="right")
    for label in LABELS.values():
        table.add_column(label, justify="right")
    for summary in summaries:
        stats = summary.figure_metrics
        if stats is None:
            cells = ["not scored", *[MISSING] * len(LABELS)]
        else:
            means = {metric: values.mean for metric, values in stats.metrics.items()}
            cells = [f"{stats.scored}/{stats.items}", *(_number(means.get(m)) for m in LABELS)]
        table.add_row(summary.run_id, summary.config.model, *cells)
    return table


def _notes(stats: FigureMetricsStats) -> Table | None:
    rows = [(f"not scored: {reason}", str(count)) for reason, count in stats.not_scored.items()]
    if stats.task_visual is not None:
        rows.append(("judge's task vs visual, r (paper: 0.58)", _agreement(stats.task_visual)))
    if not rows:
        return None
    table = Table(show_header=False, title="Figure metrics: notes")
    table.add_column("what")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _agreement(correlation: Correlation) -> str:
    return f"{_r(correlation.pearson)} over {correlation.items} items"


def _number(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f}"


def _r(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"
