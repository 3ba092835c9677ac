"""Self-debug statistics (stats.self_debug) against values worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.bench.models.turns import TokenUsage
from orchestrator.bench.records import (
    Attempt,
    ExecStatus,
    Execution,
    ItemOutcome,
    ItemRecord,
    Judgement,
    JudgeRounds,
    Protocol,
    RunConfig,
    Timings,
)
from orchestrator.bench.stats.models import DebugCost, Summary
from orchestrator.bench.stats.self_debug import self_debug_stats
from orchestrator.bench.stats.summary import build_summary
from tests.bench.test_stats import PNG, config, record

OK, ERROR, TIMEOUT = ExecStatus.OK, ExecStatus.ERROR, ExecStatus.TIMEOUT


def debug_config(
    rounds: int = 3, *, protocol: Protocol = "viscoder", judge_rounds: JudgeRounds = "final"
) -> RunConfig:
    return config(protocol=protocol).model_copy(
        update={"self_debug": rounds, "judge_rounds": judge_rounds}
    )


def attempt(
    round_: int,
    status: ExecStatus,
    *,
    plot: bool = False,
    generation_s: float = 0.0,
    output_tokens: int | None = None,
    input_tokens: int | None = 1000,
    **fields: Any,
) -> Attempt:
    return Attempt(
        round=round_,
        execution=Execution(status=status),
        images=[PNG] if plot else [],
        timings=Timings(generation_s=generation_s),
        usage=TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens),
        feedback=f"error of round {round_}",
        **fields,
    )


def item(item_id: int, *attempts: Attempt, debug_stopped: str | None = None) -> ItemRecord:
    """An item whose attempts are `attempts`, the last one its final attempt (the record)."""
    *earlier, final = attempts
    return ItemRecord.model_validate(
        record(item_id).model_dump()
        | final.model_dump(exclude={"feedback"})
        | {"attempts": earlier, "debug_stopped": debug_stopped}
    )


# Rounds = 3. Round-0 attempts took 10 s each: only rounds >= 1 count as the debug cost.
ITEMS = [
    # 1: passes at once, never debugged
    item(1, attempt(0, OK, plot=True, generation_s=10, output_tokens=500)),
    # 2: an error, fixed in A1
    item(
        2,
        attempt(0, ERROR, generation_s=10),
        attempt(1, OK, plot=True, generation_s=2, output_tokens=50),
    ),
    # 3: ran without an error but drew nothing (passes Init), A1 erred, A2 fixed it
    item(
        3,
        attempt(0, OK, generation_s=10),
        attempt(1, ERROR, generation_s=1, output_tokens=100),
        attempt(2, OK, plot=True, generation_s=3, output_tokens=150),
    ),
    # 4: erred twice, then the endpoint refused the longer conversation
    item(
        4,
        attempt(0, ERROR, generation_s=10),
        attempt(1, ERROR, generation_s=2, output_tokens=100),
        debug_stopped="the endpoint refused the request",
    ),
    # 5: a timeout, a plot-less A1 (a failure in a debug round), then two errors
    item(
        5,
        attempt(0, TIMEOUT, generation_s=10),
        attempt(1, OK, generation_s=1, output_tokens=100),
        attempt(2, ERROR, generation_s=1, output_tokens=100, input_tokens=None),
        attempt(3, ERROR, generation_s=2, output_tokens=200),
    ),
    # excluded from every figure
    record(6, outcome=ItemOutcome.INFRA_ERROR),
]


@pytest.fixture(scope="module")
def summary() -> Summary:
    return build_summary(debug_config(), ITEMS)


def test_pass_rate_per_round_by_hand(summary: Summary) -> None:
    stats = summary.self_debug
    assert stats is not None
    assert (stats.rounds, stats.items, stats.debugged, stats.stopped) == (3, 5, 4, 1)
    rounds = stats.per_round
    assert [r.label for r in rounds] == ["Init", "A1", "A2", "A3"]
    # Init: 1 and 3 ran cleanly. A1: 1, 2 (3's A1 erred, 5's drew nothing).
    # A2: 1, 2, 3. A3: the same (5 still errs, 4 stopped after A1).
    assert [r.passed for r in rounds] == [2, 2, 3, 3]
    assert [r.pass_pct for r in rounds] == [40.0, 40.0, 60.0, 60.0]
    assert [r.took_part for r in rounds] == [5, 4, 2, 1]  # A1: 2-5, A2: 3 and 5, A3: 5
    assert [r.fixed for r in rounds] == [None, 1, 1, 0]  # 2 in A1, 3 in A2
    assert all(r.visual_mean is None and r.task_mean is None for r in rounds)  # final only


def test_cost_of_debugging_by_hand(summary: Summary) -> None:
    stats = summary.self_debug
    assert stats is not None
    # generation per item, rounds >= 1: 0, 2, 1 + 3, 2, 1 + 1 + 2 = 12 s over 5 items, 4 debugged
    assert stats.generation_s == DebugCost(per_item=2.4, per_debugged_item=3.0)
    # output tokens: 0, 50, 250, 100, 400 = 800
    assert stats.output_tokens == DebugCost(per_item=160.0, per_debugged_item=200.0)
    # item 5's A2 did not report its input tokens
    assert stats.input_tokens == DebugCost(per_item=None, per_debugged_item=None)


def test_the_section_is_stored_in_summary_json(summary: Summary) -> None:
    assert Summary.model_validate_json(summary.model_dump_json()) == summary


def test_no_self_debug_no_section() -> None:
    assert build_summary(config(), [record(1)]).self_debug is None
    empty = self_debug_stats(debug_config(), [])
    assert empty is not None and empty.items == 0
    assert [r.pass_pct for r in empty.per_round] == [None] * 4
    assert empty.generation_s == DebugCost(per_item=None, per_debugged_item=None)


def scored(round_: int, status: ExecStatus, visual: Judgement, task: int, **kw: Any) -> Attempt:
    plot = status is OK
    return attempt(round_, status, plot=plot, visual=visual, task_score=Judgement(score=task), **kw)


# Judged in every round: A errs first (no plot: 0 and 0) and is fixed; B passes with an
# unparsed visual reply; C passes at once.
JUDGED = [
    item(1, scored(0, ERROR, Judgement(), 0), scored(1, OK, Judgement(score=80), 60)),
    item(2, scored(0, OK, Judgement(raw="looks fine"), 50)),
    item(3, scored(0, OK, Judgement(score=40), 20)),
]


@pytest.mark.parametrize(
    ("protocol", "visual"),
    [
        # the reference protocols count the unparsed reply as 0: (0 + 0 + 40) / 3, then
        # (80 + 0 + 40) / 3; lenient leaves it out: (0 + 40) / 2, (80 + 40) / 2
        ("ppb", [40 / 3, 40.0]),
        ("lenient", [20.0, 60.0]),
    ],
)
def test_scores_per_round_when_every_round_is_judged(
    protocol: Protocol, visual: list[float]
) -> None:
    cfg = debug_config(1, protocol=protocol, judge_rounds="all")
    stats = self_debug_stats(cfg, JUDGED)
    assert stats is not None
    assert [r.visual_mean for r in stats.per_round] == pytest.approx(visual)
    # task: (0 + 50 + 20) / 3, then (60 + 50 + 20) / 3
    assert [r.task_mean for r in stats.per_round] == pytest.approx([70 / 3, 130 / 3])
    not_judged = self_debug_stats(cfg.model_copy(update={"judge": None}), JUDGED)
    assert not_judged is not None and not_judged.per_round[0].visual_mean is None
