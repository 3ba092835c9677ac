"""rich tables of run summaries, in the layout of the paper's tables.

`run_table` is the closing table of one run. In the ppb protocol it shows the `reference`
figures in the paper's Table I layout (error rate, then the integer mean and the good and
bad fractions of the visual and the task score) and the counts behind them; in lenient the
project's figures (incorrect code %, mean, good % and bad %), with a note that they are not
comparable with the paper. Lines under it say when the run's instructions are not the
reference's or are unknown, and name the judge when the run recorded it. A run with
self-debug gets its tables in VisCoder's layout too (self_debug_tables).
`comparison_table` puts several runs side by side, one row each, in the style of Tables
I-III: the setting that differs between the runs (model, library, descriptor, task variant)
gets a column. A run with repeats shows "mean ± sd" across its repeats; a single run shows
its figures. Scores of a run without a judge read "not judged".
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from orchestrator.bench.records import REFERENCE_PROTOCOLS, RunConfig
from orchestrator.bench.stats.figure_metrics_tables import figure_metrics_tables, overall_cell
from orchestrator.bench.stats.models import (
    ReferenceScores,
    ReferenceStats,
    RunStats,
    ScoreStats,
    Summary,
)
from orchestrator.bench.stats.self_debug_tables import self_debug_tables
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
PAPER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Visual\nmean", "visual", "mean"),
    ("Visual\ngood", "visual", "good"),
    ("Visual\nbad", "visual", "bad"),
    ("Task\nmean", "task", "mean"),
    ("Task\ngood", "task", "good"),
    ("Task\nbad", "task", "bad"),
)
SETTING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Protocol", "protocol"),
    ("Library", "library"),
    ("Descriptor", "descriptor"),
    ("Task", "task_variant"),
)
MISSING = "-"


def run_table(summary: Summary) -> Group:
    """The closing table of one run."""
    config = summary.config
    reference = summary.reference
    parts: list[RenderableType]
    if config.protocol in REFERENCE_PROTOCOLS and reference is not None:
        parts = [
            _paper_table(summary, reference),
            _reference_counts_table(summary, reference),
            _reference_scores_table(summary, reference),
        ]
    else:
        table = Table(title=f"PandasPlotBench: {config.model} ({config.library})")
        table.add_column("Model")
        for header, _ in TABLE_I_COLUMNS:
            table.add_column(header, justify="right")
        table.add_row(config.model, *(_cell(summary, name) for _, name in TABLE_I_COLUMNS))
        parts = [table, _counts_table(summary), _project_scores_table(summary)]
    parts.extend(self_debug_tables(summary))
    parts.extend(figure_metrics_tables(summary))
    if summary.executors:
        parts.append(_executors_table(summary))
    if summary.failed_items:
        parts.append(_failed_table(summary))
    parts.extend(Text(line) for line in notes(summary))
    return Group(*parts)


def notes(summary: Summary) -> list[str]:
    """The lines under the closing table: protocol, instructions, judge."""
    config = summary.config
    lines: list[str] = []
    if config.protocol == "lenient":
        lines.append(
            "Lenient protocol (this project's own rules): the numbers are not comparable "
            "with the paper."
        )
    elif summary.reference is None:
        lines.append(
            "summary.json predates the reference figures: `python -m orchestrator.bench "
            "stats <run_dir>` recomputes them."
        )
    instructs = _instructs_note(config)
    if instructs is not None:
        lines.append(instructs)
    if config.judge_info is not None:
        info = config.judge_info
        parameters = ", ".join(f"{k}={v}" for k, v in sorted(info.parameters.items()))
        lines.append(
            f"Judge: {info.judge}"
            + (f" ({parameters})" if parameters else "")
            + f", instructions {info.instructions}"
        )
    return lines


def _instructs_note(config: RunConfig) -> str | None:
    instructs = config.instructs
    if instructs is None:
        return (
            "Instructions: unknown (the run did not record them); the numbers may not be "
            "comparable with the paper."
        )
    if not instructs.reference:
        return (
            f"Instructions: {instructs.name} (sha256 {instructs.sha256[:12]}), not the "
            "reference's: the numbers are not comparable with the paper."
        )
    return None


def _paper_table(summary: Summary, reference: ReferenceStats) -> Table:
    config = summary.config
    repeats = len(summary.per_repeat)
    pooled = f", {repeats} repeats pooled" if repeats > 1 else ""
    table = Table(
        title=f"PandasPlotBench, reference protocol (the paper's Table I{pooled}): "
        f"{config.model} ({config.library})"
    )
    table.add_column("Model")
    table.add_column("Error\nrate", justify="right")
    for header, _, _ in PAPER_COLUMNS:
        table.add_column(header, justify="right")
    error_rate = MISSING if reference.error_rate is None else f"{reference.error_rate:.3f}"
    table.add_row(
        config.model,
        error_rate,
        *(_reference_value(getattr(reference, kind), field) for _, kind, field in PAPER_COLUMNS),
    )
    return table


def _reference_value(scores: ReferenceScores | None, field: str) -> str:
    if scores is None:
        return "not judged"
    value = getattr(scores, field)
    if value is None:
        return MISSING
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _reference_counts_table(summary: Summary, reference: ReferenceStats) -> Table:
    def number(value: float | None, places: int) -> str:
        return MISSING if value is None else f"{value:.{places}f}"

    return _figures_table(
        summary,
        (
            ("no plots", str(reference.no_plots)),
            ("execution errors", str(reference.error_number)),
            ("wrong library", str(reference.wrong_libs)),
            ("mean response length, chars", number(reference.response_mean_length_symb, 0)),
            ("mean task length, chars", number(reference.task_mean_length_symb, 0)),
            ("time per item, s", number(reference.time_used_per_item, 1)),
        ),
    )


def _reference_scores_table(summary: Summary, reference: ReferenceStats) -> Table:
    return _scores_table(
        summary,
        [
            (
                label,
                _reference_value(reference.visual, field),
                _reference_value(reference.task, field),
            )
            for label, field in (
                ("median", "median"),
                ("min", "min"),
                ("max", "max"),
                ("scored", "num_scored_items"),
                ("unparsed (scored 0)", "unparsed"),
                ("not scored (scored 0)", "not_scored"),
            )
        ],
    )


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
    metrics = any(s.figure_metrics is not None for s in summaries)
    if metrics:
        table.add_column("Figure\nmetrics", justify="right")
    for summary in summaries:
        table.add_row(
            summary.run_id,
            summary.config.model,
            *(str(getattr(summary.config, field)) for _, field in varying),
            _items_cell(summary),
            *(_cell(summary, name) for _, name in TABLE_I_COLUMNS),
            *([overall_cell(summary)] if metrics else []),
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
    mean_s = stats.mean_generation_s
    return _figures_table(
        summary,
        (
            ("execution errors", str(stats.error_count)),
            ("wrong library", str(stats.wrong_library_count)),
            ("mean generation time, s", MISSING if mean_s is None else f"{mean_s:.1f}"),
        ),
    )


def _figures_table(summary: Summary, rows: Sequence[tuple[str, str]]) -> Table:
    """The items in and out of the statistics, then `rows`."""
    stats = summary.stats
    table = Table(title="Items", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in (
        ("in the statistics", str(stats.items)),
        ("repeats", str(len(summary.per_repeat))),
        ("infrastructure errors (excluded)", str(stats.infra_errors)),
        ("failed (excluded, not retried)", str(stats.failed)),
        *rows,
    ):
        table.add_row(label, value)
    return table


def _project_scores_table(summary: Summary) -> Table:
    visual, task = summary.stats.visual, summary.stats.task
    return _scores_table(
        summary,
        [
            (label, _score_value(visual, field), _score_value(task, field))
            for label, field in (
                ("median", "median"),
                ("min", "min"),
                ("max", "max"),
                ("scored", "scored"),
                ("unparsed", "unparsed"),
                ("not scored", "not_scored"),
            )
        ],
    )


def _scores_table(summary: Summary, rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(title="Scores" if summary.judged else "Scores: not judged")
    table.add_column("")
    table.add_column("visual", justify="right")
    table.add_column("task", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _score_value(stats: ScoreStats, field: str) -> str:
    value = getattr(stats, field)
    if value is None:
        return MISSING
    return f"{value:.1f}" if isinstance(value, float) else str(value)
