"""Statistics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orchestrator.bench.records import (
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    Prompt,
    Protocol,
    RunConfig,
    TaskText,
    Timings,
)
from orchestrator.bench.stats.items import final_records, item_score
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.summary import (
    StatsError,
    build_summary,
    reference_round,
    reference_stats,
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
    response: str = "",
    user: str = "user",
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
        "prompt": Prompt(system="sys", user=user),
        "response": response,
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


def config(
    judge: str | None = "judge", repeats: int = 1, protocol: Protocol = "lenient"
) -> RunConfig:
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
        protocol=protocol,
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


def test_reference_figures_in_ppb_by_hand() -> None:
    ref = reference_stats(MIXED, "ppb", judged=True)
    assert ref.items == 7  # item 7 (infra error) is left out
    assert (ref.no_plots, ref.wrong_libs, ref.error_number) == (2, 1, 2)  # 3, 8; 4; 3, 8
    assert ref.error_rate == 0.286  # 2 / 7 = 0.2857..., 3 places
    assert ref.time_used_per_item == 4.1  # 29 / 7 = 4.14..., 1 place
    # visual: 80, 20, 0 (no plot), 0 (wrong lib), 0 (5 unparsed), 0 and 0 (no reference)
    visual = ref.visual
    assert visual is not None
    assert (visual.num_scored_items, visual.unparsed, visual.not_scored) == (7, 1, 2)
    assert (visual.mean, visual.median, visual.min, visual.max) == (14, 0, 0, 80)  # 100 / 7
    assert (visual.good, visual.bad) == (0.14, 0.86)  # 1 / 7 and 6 / 7
    # task: 90, 75, 0, 0, 50, 100, 0
    task = ref.task
    assert task is not None
    assert (task.mean, task.median, task.good, task.bad) == (45, 50, 0.43, 0.43)  # 3 / 7
    assert (task.num_scored_items, task.unparsed, task.not_scored) == (7, 0, 0)


def test_reference_figures_in_lenient_leave_unscored_items_out() -> None:
    ref = reference_stats(MIXED, "lenient", judged=True)
    visual = ref.visual
    assert visual is not None
    # 80, 20, 0, 0: the unparsed item 5 and items 6 and 8 without a reference are left out
    assert (visual.num_scored_items, visual.unparsed, visual.not_scored) == (4, 1, 2)
    assert (visual.mean, visual.median, visual.good, visual.bad) == (25, 10, 0.25, 0.75)
    assert ref.error_rate == 0.286


def test_reference_mean_and_median_are_truncated() -> None:
    records = [record(1, task=59), record(2, task=60), record(3, visual=29, task=0)]
    ref = reference_stats(records, "ppb", judged=True)
    assert ref.task is not None and ref.visual is not None
    assert (ref.task.mean, ref.task.median) == (39, 59)  # 119 / 3 = 39.67; median 59
    assert ref.visual.mean == 9  # 29, 0 (unjudged), 0 (unjudged): 29 / 3 = 9.67
    two = reference_stats([record(1, task=59), record(2, task=60)], "ppb", judged=True)
    assert two.task is not None
    assert (two.task.mean, two.task.median) == (59, 59)  # 59.5 and 59.5, not 60


def test_reference_rounding_is_numpys() -> None:
    # 1 good and 39 bad of 40: 0.025 and 0.975 scale to the ties 2.5 and 97.5, which numpy
    # rounds to even, 0.02 and 0.98; Python's round(x, 2) gives 0.03 and 0.97
    records = [record(1, task=80), *(record(i, task=10) for i in range(2, 41))]
    task = reference_stats(records, "ppb", judged=True).task
    assert task is not None and task.good == 0.02 and task.bad == 0.98
    for n in range(1, 176):
        for k in range(n + 1):
            for places in (0, 1, 2, 3):
                assert reference_round(k / n, places) == round(np.float64(k) / n, places)


def test_reference_lengths_round_half_to_even() -> None:
    records = [record(1, response="ab", user="abcd"), record(2, response="abc", user="abcdefg")]
    ref = reference_stats(records, "ppb", judged=False)
    assert ref.response_mean_length_symb == 2.0  # 2.5
    assert ref.task_mean_length_symb == 6.0  # 5.5


def test_no_code_is_an_error_only_in_lenient() -> None:
    records = [*MIXED, record(9, status=ExecStatus.NO_CODE, plot=False)]
    ppb, lenient = (reference_stats(records, p, judged=True) for p in ("ppb", "lenient"))
    assert (ppb.error_number, ppb.error_rate) == (2, 0.25)  # 2 / 8
    assert (lenient.error_number, lenient.error_rate) == (3, 0.375)  # 3 / 8
    assert ppb.no_plots == lenient.no_plots == 3
    missing = reference_stats([record(1, status=None, plot=False)], "ppb", judged=True)
    assert missing.error_number == 0  # no execution: no error in ppb, an error in lenient


def test_reference_figures_not_judged_and_empty() -> None:
    ref = reference_stats(MIXED, "ppb", judged=False)
    assert ref.visual is None and ref.task is None  # no zeros invented
    assert ref.error_rate == 0.286
    failed = record(1, outcome=ItemOutcome.FAILED)
    empty = reference_stats(
        [record(2, outcome=ItemOutcome.INFRA_ERROR), failed], "ppb", judged=True
    )
    assert (empty.items, empty.error_rate, empty.response_mean_length_symb) == (0, None, None)
    assert empty.task is not None and empty.task.mean is None and empty.task.num_scored_items == 0


def test_summary_holds_both_sets() -> None:
    summary = build_summary(config(protocol="ppb"), MIXED)
    assert summary.reference == reference_stats(MIXED, "ppb", judged=True)
    assert summary.stats == run_stats(MIXED, judged=True)
    dumped = summary.model_dump(mode="json")
    assert dumped["reference"]["visual"]["mean"] == 14
    assert dumped["stats"]["visual"]["mean"] == pytest.approx(25.0)
    old = dict(dumped)
    del old["reference"]  # a summary.json written before the reference figures
    assert Summary.model_validate(old).reference is None
