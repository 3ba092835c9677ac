"""Statistics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.bench.records import (
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    Prompt,
    RunConfig,
    TaskText,
    Timings,
)
from orchestrator.bench.stats.summary import (
    StatsError,
    build_summary,
    final_records,
    item_score,
    run_stats,
)

PNG = "iVBORw0KGgo="  # stands for a generated/reference image; its content is not read


def record(
    item_id: int,
    *,
    status: ExecStatus | None = ExecStatus.OK,
    plot: bool = True,
    reference: bool = True,
    visual: int | None = None,
    task: int | None = None,
    visual_raw: str = "",
    wrong_library: bool = False,
    generation_s: float = 1.0,
    outcome: ItemOutcome = ItemOutcome.DONE,
    repeat: int = 0,
    run_id: str = "run-1",
) -> ItemRecord:
    fields: dict[str, Any] = {
        "run_id": run_id,
        "item_id": item_id,
        "repeat": repeat,
        "outcome": outcome,
        "model": "m",
        "provider_model": "openai:m",
        "library": "matplotlib",
        "descriptor": "head",
        "task_variant": "full",
        "task": TaskText(plot_description="d", plot_style="s", used="d\ns"),
        "prompt": Prompt(system="sys", user="user"),
        "wrong_library": wrong_library,
        "execution": None if status is None else Execution(status=status),
        "images": [PNG] if plot else [],
        "reference_images": [PNG] if reference else [],
        "visual": Judgement(score=visual, raw=visual_raw or ("" if visual is None else "x")),
        "task_score": Judgement(score=task, raw="" if task is None else "x"),
        "timings": Timings(generation_s=generation_s),
        "finished_at": "2025-01-01T00:00:00Z",
    }
    return ItemRecord(**fields)


def config(judge: str | None = "judge", repeats: int = 1) -> RunConfig:
    return RunConfig(
        run_id="run-1",
        model="m",
        provider_model="openai:m",
        library="matplotlib",
        descriptor="head",
        task_variant="full",
        dataset="fixtures",
        item_ids=[1, 2, 3],
        repeats=repeats,
        judge=judge,
        started_at="2025-01-01T00:00:00Z",
    )


MIXED = [
    record(1, visual=80, task=90, generation_s=1.0),
    record(2, visual=20, task=75, generation_s=2.0),
    record(3, status=ExecStatus.ERROR, plot=False, generation_s=3.0),  # no plot: 0 and 0
    record(4, visual=90, task=90, wrong_library=True, generation_s=4.0),  # wrong lib: 0 and 0
    record(5, visual_raw="looks fine", task=50, generation_s=5.0),  # visual unparsed
    record(6, reference=False, task=100, generation_s=6.0),  # visual not scored
    record(7, outcome=ItemOutcome.INFRA_ERROR, generation_s=100.0),  # excluded
    record(8, status=ExecStatus.TIMEOUT, plot=False, reference=False, generation_s=8.0),
]


def test_mixed_run_by_hand() -> None:
    stats = run_stats(MIXED, judged=True)
    assert stats.items == 7  # 8 records, one infra error
    assert stats.infra_errors == 1
    assert stats.incorrect_code_pct == pytest.approx(100 * 2 / 7)  # items 3 and 8: no plot
    assert stats.error_count == 2  # error (3), timeout (8)
    assert stats.wrong_library_count == 1
    assert stats.mean_generation_s == pytest.approx((1 + 2 + 3 + 4 + 5 + 6 + 8) / 7)

    # visual: scored 80, 20, 0 (3), 0 (4); 5 unparsed; 6 and 8 have no reference image
    visual = stats.visual
    assert (visual.scored, visual.unparsed, visual.not_scored) == (4, 1, 2)
    assert visual.mean == pytest.approx(25.0)  # (80 + 20 + 0 + 0) / 4
    assert visual.median == pytest.approx(10.0)  # (0, 0, 20, 80): (0 + 20) / 2
    assert visual.good_pct == pytest.approx(25.0)  # 80
    assert visual.bad_pct == pytest.approx(75.0)  # 20, 0, 0
    assert (visual.min, visual.max) == (0, 80)

    # task: 90, 75, 0, 0, 50, 100, 0
    task = stats.task
    assert (task.scored, task.unparsed, task.not_scored) == (7, 0, 0)
    assert task.mean == pytest.approx(45.0)  # 315 / 7
    assert task.median == pytest.approx(50.0)  # 0 0 0 50 75 90 100
    assert task.good_pct == pytest.approx(100 * 3 / 7)  # 90, 75, 100: 75 counts as good
    assert task.bad_pct == pytest.approx(100 * 3 / 7)  # the three 0s
    assert (task.min, task.max) == (0, 100)


def test_boundaries_of_good_and_bad() -> None:
    stats = run_stats([record(1, task=25), record(2, task=26), record(3, task=74)], judged=True)
    assert stats.task.bad_pct == pytest.approx(100 / 3)  # 25 is bad, 26 is not
    assert stats.task.good_pct == 0.0  # 74 is not good


def test_not_judged_run_has_null_scores() -> None:
    stats = run_stats(MIXED, judged=False)
    for score in (stats.visual, stats.task):
        assert score.mean is None and score.median is None and score.good_pct is None
        assert score.min is None and score.max is None
        assert (score.scored, score.unparsed, score.not_scored) == (0, 0, 7)
    assert stats.error_count == 2 and stats.wrong_library_count == 1  # still counted
    assert item_score(MIXED[0], "task", judged=False).reason == "not judged"


def test_item_score_reasons() -> None:
    assert item_score(MIXED[2], "task", judged=True).reason == "no plot"
    assert item_score(MIXED[3], "visual", judged=True).reason == "wrong library"
    assert item_score(MIXED[4], "visual", judged=True).state == "unparsed"
    no_reference = item_score(MIXED[5], "visual", judged=True)
    assert (no_reference.state, no_reference.value) == ("not_scored", None)
    assert no_reference.reason == "no reference image"


def test_empty_and_all_infra_runs() -> None:
    stats = run_stats([record(1, outcome=ItemOutcome.INFRA_ERROR)], judged=True)
    assert (stats.items, stats.infra_errors, stats.incorrect_code_pct) == (0, 1, 0.0)
    assert stats.mean_generation_s is None and stats.visual.mean is None


def test_missing_execution_counts_as_error() -> None:
    assert run_stats([record(1, status=None, plot=False)], judged=True).error_count == 1


def test_a_retried_item_counts_once() -> None:
    records = [
        record(1, outcome=ItemOutcome.INFRA_ERROR),
        record(2, visual=10, task=10),
        record(1, visual=90, task=90),
    ]
    assert [r.item_id for r in final_records(records)] == [1, 2]
    stats = run_stats(records, judged=True)
    assert (stats.items, stats.infra_errors) == (2, 0)
    assert stats.visual.mean == pytest.approx(50.0)


def test_summary_with_repeats() -> None:
    records = [
        record(1, visual=60, task=100, repeat=0, generation_s=1.0),
        record(2, visual=80, task=100, repeat=0, generation_s=3.0),
        record(1, visual=40, task=50, repeat=1, generation_s=2.0),
        record(2, visual=80, task=50, repeat=1, generation_s=2.0, plot=False),
    ]
    summary = build_summary(config(repeats=2), records)
    assert summary.judged
    assert [s.visual.mean for s in summary.per_repeat] == [70.0, 20.0]  # (40 + 0) / 2
    assert summary.stats.items == 4
    assert summary.stats.visual.mean == pytest.approx(45.0)  # (60 + 80 + 40 + 0) / 4
    visual_mean = summary.across_repeats["visual.mean"]
    assert visual_mean.mean == pytest.approx(45.0)  # (70 + 20) / 2
    assert visual_mean.sd == pytest.approx(35.3553391)  # sqrt((25^2 + 25^2) / (2 - 1))
    incorrect = summary.across_repeats["incorrect_code_pct"]
    # 0 % and 50 %: mean 25, sd sqrt((25^2 + 25^2) / 1)
    assert incorrect.mean == pytest.approx(25.0)
    assert incorrect.sd == pytest.approx(35.3553391)
    generation = summary.across_repeats["mean_generation_s"]
    assert generation.mean == pytest.approx(2.0)
    assert generation.sd == pytest.approx(0.0)
    assert set(summary.across_repeats) >= {"task.good_pct", "visual.bad_pct", "error_count"}


def test_summary_single_run_and_not_judged() -> None:
    summary = build_summary(config(judge=None), MIXED)
    assert not summary.judged
    assert summary.across_repeats == {}
    assert len(summary.per_repeat) == 1
    assert summary.stats.task.mean is None


def test_across_repeats_is_null_when_a_repeat_lacks_the_figure() -> None:
    records = [record(1, task=50, repeat=0), record(1, reference=False, task=50, repeat=1)]
    summary = build_summary(config(repeats=2), records)
    assert summary.across_repeats["visual.mean"].mean is None
    assert summary.across_repeats["task.mean"].mean == pytest.approx(50.0)


def test_records_of_another_run_are_refused() -> None:
    with pytest.raises(StatsError, match="records of run\\(s\\) other given with run run-1"):
        build_summary(config(), [record(1), record(2, run_id="other")])
