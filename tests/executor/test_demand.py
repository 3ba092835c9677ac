"""The pool's plan of which libraries to keep warm, from recent demand."""

from __future__ import annotations

from collections import Counter

import pytest

from orchestrator.executor.demand import Demand, Kind, covers


def demand_of(*libraries: Kind, window: int = 8) -> Demand:
    demand = Demand(window)
    for library in libraries:
        demand.record(library)
    return demand


def test_no_demand_yet_warms_all_three_libraries() -> None:
    assert demand_of().plan(3) == Counter({None: 3})


def test_one_library_takes_the_whole_pool() -> None:
    assert demand_of("plotly", "plotly").plan(4) == Counter({"plotly": 4})


def test_the_pool_splits_in_proportion_to_demand() -> None:
    demand = demand_of(*["matplotlib"] * 6, *["plotly"] * 2)
    assert demand.plan(4) == Counter({"matplotlib": 3, "plotly": 1})


def test_a_tie_goes_to_the_library_asked_for_last() -> None:
    assert demand_of("seaborn", "plotly").plan(1) == Counter({"plotly": 1})
    assert demand_of("plotly", "seaborn").plan(1) == Counter({"seaborn": 1})


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_the_plan_always_fills_the_pool_exactly(size: int) -> None:
    demand = demand_of("matplotlib", "seaborn", "plotly", None, "plotly")
    assert demand.plan(size).total() == size


def test_only_the_window_counts() -> None:
    demand = demand_of(*["matplotlib"] * 20, *["plotly"] * 4, window=4)
    assert demand.plan(2) == Counter({"plotly": 2})


def test_a_sandbox_covers_its_own_library_and_those_its_stack_holds() -> None:
    assert covers("plotly", "plotly") and covers(None, "plotly") and covers(None, None)
    assert covers("seaborn", "matplotlib")
    assert not covers("matplotlib", "seaborn") and not covers("plotly", None)


def test_the_window_must_hold_something() -> None:
    with pytest.raises(ValueError, match="window"):
        Demand(0)
