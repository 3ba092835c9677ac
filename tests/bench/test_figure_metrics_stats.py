"""The judge-free metrics in the summary, and which figure an attempt is scored on, against
values worked out by hand."""

from __future__ import annotations

import pytest

from orchestrator.bench.figure_metrics.scores import FigureScores
from orchestrator.bench.figure_scoring import figure_metrics
from orchestrator.bench.ground_truth import GroundTruth
from orchestrator.bench.records import AttemptResult, FigureMetrics, ItemRecord
from orchestrator.bench.stats.figure_metrics import correlation
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import comparison_table, run_table
from orchestrator.executor.figures import FigureDescription
from tests.bench.test_stats import PNG, config, record

FIGURE = FigureDescription(library="matplotlib", title="Sales")
TRUTH = GroundTruth(figure=FIGURE)


def scores(value: float) -> FigureScores:
    return FigureScores(
        text=value, layout=value, chart_type=value, colour=value, data=value, overall=value
    )


def scored(item_id: int, metric: float | None, visual: int, task: int) -> ItemRecord:
    base = record(item_id, visual=visual, task=task)
    metrics = (
        FigureMetrics(reason="no ground-truth code")
        if metric is None
        else FigureMetrics(scores=scores(metric))
    )
    return base.model_copy(update={"figure_metrics": metrics})


def test_an_attempt_is_scored_on_its_first_figure() -> None:
    other = FigureDescription(library="matplotlib", title="Other")
    attempt = AttemptResult(images=[PNG, PNG], figures=[FIGURE, other])
    result = figure_metrics(attempt, TRUTH)
    assert result.scores is not None and result.scores.overall == 100
    assert result.reason is None


@pytest.mark.parametrize(
    ("attempt", "reason"),
    [
        (AttemptResult(), "no plot"),
        (AttemptResult(images=[PNG], figures=[FIGURE], wrong_library=True), "wrong library"),
        (AttemptResult(images=[PNG], figures=[None]), "the plot came without a figure description"),
    ],
)
def test_a_missing_or_foreign_plot_scores_zero(attempt: AttemptResult, reason: str) -> None:
    result = figure_metrics(attempt, TRUTH)
    assert result.scores == scores(0) and result.reason == reason


def test_without_a_ground_truth_figure_nothing_is_scored() -> None:
    attempt = AttemptResult(images=[PNG], figures=[FIGURE])
    result = figure_metrics(attempt, GroundTruth(reason="no code"))
    assert result.scores is None and result.reason == "no code"


def test_the_summary_gives_the_judges_statistics_and_the_agreement() -> None:
    records = [
        scored(1, 90.0, visual=80, task=85),
        scored(2, 60.0, visual=50, task=55),
        scored(3, 20.0, visual=10, task=30),
        scored(4, 75.0, visual=70, task=20),
        scored(5, None, visual=40, task=40),  # not scored: left out of every figure
    ]
    stats = build_summary(config(), records).figure_metrics
    assert stats is not None
    assert (stats.items, stats.scored) == (5, 4)
    assert stats.not_scored == {"no ground-truth code": 1}
    overall = stats.metrics["overall"]
    assert overall.mean == pytest.approx((90 + 60 + 20 + 75) / 4)
    assert overall.median == pytest.approx((60 + 75) / 2)
    assert overall.good_pct == pytest.approx(50.0)  # 90 and 75
    assert overall.bad_pct == pytest.approx(25.0)  # 20
    visual = stats.correlations["overall"]["visual"]
    # metric ranks 4,2,1,3 and visual ranks 4,2,1,3: identical order
    assert visual.spearman == pytest.approx(1.0) and visual.items == 4
    assert visual.pearson == pytest.approx(0.99, abs=0.01)
    assert stats.task_visual is not None and stats.task_visual.items == 4


def test_a_run_without_ground_truth_has_no_figure_metrics_section() -> None:
    records = [scored(1, None, visual=80, task=85)]
    assert build_summary(config(), records).figure_metrics is None


def test_an_unjudged_run_has_statistics_but_no_correlations() -> None:
    records = [scored(1, 90.0, visual=80, task=85), scored(2, 10.0, visual=5, task=5)]
    stats = build_summary(config(judge=None), records).figure_metrics
    assert stats is not None and stats.correlations == {} and stats.task_visual is None
    assert stats.metrics["text"].mean == pytest.approx(50.0)


@pytest.mark.parametrize(
    "pairs",
    [[], [(1.0, 2.0), (2.0, 3.0)], [(5.0, 1.0), (5.0, 2.0), (5.0, 3.0)]],
    ids=["none", "two", "constant"],
)
def test_a_correlation_needs_three_pairs_and_variation(pairs: list[tuple[float, float]]) -> None:
    result = correlation(pairs)
    assert result.pearson is None and result.spearman is None and result.items == len(pairs)


def test_the_closing_table_and_compare_show_the_metrics() -> None:
    from rich.console import Console

    records = [scored(i, 20.0 * i, visual=20 * i, task=10 * i) for i in range(1, 5)]
    summary = build_summary(config(), records)
    console = Console(width=200, record=True)
    console.print(run_table(summary))
    console.print(comparison_table([summary]))
    text = console.export_text()
    assert "Figure metrics (no judge): 4 of 4 items scored" in text
    assert "chart type" in text and "r visual" in text
    assert "50.0" in text  # the overall mean, in the compare column


def test_compare_gives_each_metrics_mean_per_run() -> None:
    from rich.console import Console

    from orchestrator.bench.stats.figure_metrics_tables import figure_metrics_comparison_table

    def run(run_id: str, metric: float | None) -> Summary:
        records = [
            (record(i, visual=50, task=50) if metric is None else scored(i, metric, 50, 50))
            for i in range(1, 3)
        ]
        return build_summary(
            config().model_copy(update={"run_id": run_id}),
            [r.model_copy(update={"run_id": run_id}) for r in records],
        )

    summaries = [run("scored", 40.0), run("unscored", None)]
    table = figure_metrics_comparison_table(summaries)
    assert table is not None
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert "chart type" in text and "2/2" in text
    row = next(line for line in text.splitlines() if "│ scored" in line)
    assert row.count("40.0") == 6  # five metrics and the overall
    assert figure_metrics_comparison_table(summaries[1:]) is None
