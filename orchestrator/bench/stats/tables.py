"""rich tables of run summaries, in the layout of the paper's tables.

`run_table` is the closing table of one run: a Table I row (incorrect code %, then mean,
good % and bad % of the visual and the task score) followed by the counts behind it.
`comparison_table` puts several runs side by side, one row each, in the style of Tables
I-III: the setting that differs between the runs (model, library, descriptor, task variant)
gets a column. A run with repeats shows "mean ± sd" across its repeats; a single run shows
its figures. Scores of a run without a judge read "not judged".
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table

from orchestrator.bench.stats.models import RunStats, ScoreStats, Summary
from orchestrator.bench.stats.summary import figure

TABLE_I_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Incorrect\ncode, %", "incorrect_code_pct"),
    ("Visual\nmean", "visual.mean"),
    ("Visual\ngood, %", "visual.good_pct"),
    ("Visual\nbad, %", "visual.bad_pct"),
    ("Task\nmean", "task.mean"),
    ("Task\ngood, %", "task.good_pct"),
    ("Task\nbad, %", "task.bad_pct"),
)
SETTING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Library", "library"),
    ("Descriptor", "descriptor"),
    ("Task", "task_variant"),
)
MISSING = "-"


def run_table(summary: Summary) -> Group:
    """The closing table of one run."""
    config = summary.config
    table = Table(title=f"PandasPlotBench: {config.model} ({config.library})")
    table.add_column("Model")
    for header, _ in TABLE_I_COLUMNS:
        table.add_column(header, justify="right")
    table.add_row(config.model, *(_cell(summary, name) for _, name in TABLE_I_COLUMNS))
    parts: list[Table] = [table, _counts_table(summary), _scores_table(summary)]
    if summary.executors:
        parts.append(_executors_table(summary))
    if summary.failed_items:
        parts.append(_failed_table(summary))
    return Group(*parts)


def _failed_table(summary: Summary) -> Table:
    table = Table(title="Failed items (not retried; `run --retry-failed` retries them)")
    for header in ("item", "repeat", "reason"):
        table.add_column(header, justify="left" if header == "reason" else "right")
    for failed in summary.failed_items:
        table.add_row(str(failed.item_id), str(failed.repeat), failed.reason)
    return table


def _executors_table(summary: Summary) -> Table:
    table = Table(title="Executors")
    for header in ("executor", "executions", "failures", "p50 s"):
        table.add_column(header, justify="left" if header == "executor" else "right")
    for url, figures in summary.executors.items():
        p50 = "–" if figures.p50_s is None else f"{figures.p50_s:.2f}"
        table.add_row(url, str(figures.executions), str(figures.failures), p50)
    return table


def comparison_table(summaries: Sequence[Summary], title: str | None = None) -> Table:
    """Several runs side by side, one row per run."""
    varying = [
        (header, field)
        for header, field in SETTING_COLUMNS
        if len({getattr(s.config, field) for s in summaries}) > 1
    ]
    table = Table(title=title or "PandasPlotBench: runs compared")
    table.add_column("Run")
    table.add_column("Model")
    for header, _ in varying:
        table.add_column(header)
    table.add_column("Items", justify="right")
    for header, _ in TABLE_I_COLUMNS:
        table.add_column(header, justify="right")
    for summary in summaries:
        table.add_row(
            summary.run_id,
            summary.config.model,
            *(str(getattr(summary.config, field)) for _, field in varying),
            _items_cell(summary),
            *(_cell(summary, name) for _, name in TABLE_I_COLUMNS),
        )
    return table


def _cell(summary: Summary, name: str) -> str:
    if not summary.judged and not name.startswith("incorrect"):
        return "not judged"
    across = summary.across_repeats.get(name)
    if across is not None and across.mean is not None and across.sd is not None:
        return f"{across.mean:.1f} ± {across.sd:.1f}"
    value = figure(summary.stats, name)
    return MISSING if value is None else f"{value:.1f}"


def _items_cell(summary: Summary) -> str:
    repeats = len(summary.per_repeat)
    return f"{summary.stats.items} ({repeats} repeats)" if repeats > 1 else str(summary.stats.items)


def _counts_table(summary: Summary) -> Table:
    stats: RunStats = summary.stats
    table = Table(title="Items", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    mean_s = stats.mean_generation_s
    rows = (
        ("in the statistics", str(stats.items)),
        ("repeats", str(len(summary.per_repeat))),
        ("infrastructure errors (excluded)", str(stats.infra_errors)),
        ("failed (excluded, not retried)", str(stats.failed)),
        ("execution errors", str(stats.error_count)),
        ("wrong library", str(stats.wrong_library_count)),
        ("mean generation time, s", MISSING if mean_s is None else f"{mean_s:.1f}"),
    )
    for label, value in rows:
        table.add_row(label, value)
    return table


def _scores_table(summary: Summary) -> Table:
    table = Table(title="Scores" if summary.judged else "Scores: not judged")
    table.add_column("")
    table.add_column("visual", justify="right")
    table.add_column("task", justify="right")
    visual, task = summary.stats.visual, summary.stats.task
    for label, field in (
        ("median", "median"),
        ("min", "min"),
        ("max", "max"),
        ("scored", "scored"),
        ("unparsed", "unparsed"),
        ("not scored", "not_scored"),
    ):
        table.add_row(label, _score_value(visual, field), _score_value(task, field))
    return table


def _score_value(stats: ScoreStats, field: str) -> str:
    value = getattr(stats, field)
    if value is None:
        return MISSING
    return f"{value:.1f}" if isinstance(value, float) else str(value)
