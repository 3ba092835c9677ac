"""The ground truth's figure description: which code runs how, what is cached and what not.

The executor is a seam here; tests/pipeline/test_bench_figure_metrics.py runs the real one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.ground_truth import (
    NO_GROUND_TRUTH_CODE,
    GroundTruthFigures,
    cache_key,
    ground_truth_library,
    ground_truth_request,
)
from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
)
from orchestrator.executor.figures import FigureDescription

FIGURE = FigureDescription(library="matplotlib", title="Sales")
BARS = 'import matplotlib.pyplot as plt\nplt.bar(df["month"], df["sales"])\n'


def item(code_plot: str | None = BARS, csv: bytes = b"month,sales\nJan,3\n") -> BenchItem:
    return BenchItem(
        id=3,
        data_csv=csv,
        code_plot=code_plot,
        plot_description="bars",
        plot_style="",
        short="",
        single="",
    )


class Executor:
    """Answers every request with `result`, after a pause, and counts them."""

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result
        self.requests: list[ExecutionRequest] = []

    async def __call__(self, request: ExecutionRequest) -> tuple[ExecutionResult, str]:
        self.requests.append(request)
        await asyncio.sleep(0.01)
        return self.result, "http://executor"


def drawn(figure: FigureDescription | None = FIGURE) -> ExecutionResult:
    return ExecutionResult(status=ExecutionStatus.OK, images=["png"], figures=[figure])


@pytest.mark.parametrize(
    ("code", "library"),
    [
        ("import plotly.express as px\npx.bar(df)", "plotly"),
        ("import seaborn as sns\nimport matplotlib.pyplot as plt\nsns.barplot(df)", "seaborn"),
        (BARS, "matplotlib"),
        ("df.plot()", "matplotlib"),
    ],
)
def test_the_ground_truth_runs_with_its_own_library(code: str, library: str) -> None:
    assert ground_truth_library(code) == library
    request = ground_truth_request(item(code))
    assert request.library == library and request.capture == "all"
    assert code in request.code and "data.csv" in request.files


def test_concurrent_repeats_run_the_ground_truth_once_and_later_runs_read_the_cache(
    tmp_path: Path,
) -> None:
    executor = Executor(drawn())

    async def twice() -> list[FigureDescription | None]:
        truths = GroundTruthFigures(executor, tmp_path)
        return [t.figure for t in await asyncio.gather(truths.of(item()), truths.of(item()))]

    assert asyncio.run(twice()) == [FIGURE, FIGURE]
    assert len(executor.requests) == 1
    again = asyncio.run(GroundTruthFigures(executor, tmp_path).of(item()))
    assert again.figure == FIGURE and len(executor.requests) == 1


def test_the_cache_key_follows_the_code_and_the_data() -> None:
    assert cache_key(item()) == cache_key(item())
    assert cache_key(item()) != cache_key(item(BARS + "plt.title('x')\n"))
    assert cache_key(item()) != cache_key(item(csv=b"month,sales\nJan,4\n"))


def test_an_item_without_ground_truth_code_runs_nothing(tmp_path: Path) -> None:
    executor = Executor(drawn())
    truth = asyncio.run(GroundTruthFigures(executor, tmp_path).of(item(None)))
    assert truth.figure is None and truth.reason == NO_GROUND_TRUTH_CODE
    assert executor.requests == []


@pytest.mark.parametrize(
    ("result", "reason", "cached"),
    [
        (
            ExecutionResult(
                status=ExecutionStatus.ERROR, error=ExecutionError(ename="KeyError", evalue="'x'")
            ),
            "the ground-truth code did not run (KeyError: 'x')",
            True,
        ),
        (ExecutionResult(status=ExecutionStatus.OK), "the ground-truth code drew no figure", True),
        (drawn(None), "the sandbox gave no description of the ground-truth figure", True),
        # The machine's, maybe: tried again next time.
        (
            ExecutionResult(status=ExecutionStatus.TIMEOUT),
            "the ground-truth code did not run (timeout)",
            False,
        ),
        (
            ExecutionResult(status=ExecutionStatus.OOM),
            "the ground-truth code did not run (oom)",
            False,
        ),
    ],
)
def test_why_there_is_no_ground_truth_figure_and_whether_it_is_kept(
    tmp_path: Path, result: ExecutionResult, reason: str, cached: bool
) -> None:
    executor = Executor(result)
    for _ in range(2):
        truth = asyncio.run(GroundTruthFigures(executor, tmp_path).of(item()))
        assert truth.figure is None and truth.reason == reason
    assert len(executor.requests) == (1 if cached else 2)


def test_a_torn_cache_file_is_run_again(tmp_path: Path) -> None:
    executor = Executor(drawn())
    (tmp_path / f"{cache_key(item())}.json").write_text('{"figure": {"libr')
    truth = asyncio.run(GroundTruthFigures(executor, tmp_path).of(item()))
    assert truth.figure == FIGURE and len(executor.requests) == 1
