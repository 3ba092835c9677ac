"""The figure describer in a real sandbox: what it says of realistic matplotlib, seaborn and
plotly figures (run by the executor, checked by the host's schema), and that installing it
imports no plotting library yet describes whatever the code imports, in any order (kernels
started in the sandbox image with only the output cap and the describer installed)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from textwrap import dedent
from typing import Any

import docker
import numpy as np
import pytest

from orchestrator.bench.figure_metrics.scores import score_figures
from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus
from orchestrator.executor.figures import AxesDescription, FigureDescription, GridCell
from sandbox_server.protocol import Library

pytestmark = pytest.mark.docker

MONTHS = ["Jan", "Feb", "Mar", "Apr"]
SALES = [12.0, 30.0, 7.0, 21.0]
BERLIN = [float(t) for t in (3, 4, 8, 13, 17, 20, 22, 22, 18, 13, 7, 4)]
PARIS = [float(t) for t in (5, 6, 10, 13, 16, 20, 22, 22, 19, 15, 9, 6)]
RNG = np.random.default_rng(7)
GROUPS = {
    g: [round(float(v), 3) for v in RNG.normal(m, 2.0, 25)]
    for g, m in zip("abc", (5, 8, 6), strict=True)
}
GROUPS["a"][0] = 30.0  # an outlier: a flier beyond the whisker
SAMPLE = [round(float(v), 3) for v in RNG.normal(50, 10, 200)]

DATA = dedent(
    f"""\
    import numpy as np
    import pandas as pd
    MONTHS, SALES = {MONTHS!r}, {SALES!r}
    temps = pd.DataFrame({{"month": list(range(1, 13)) * 2, "temp": {BERLIN + PARIS!r},
                          "city": ["Berlin"] * 12 + ["Paris"] * 12}})
    groups = pd.DataFrame([(g, v) for g, vs in {GROUPS!r}.items() for v in vs],
                          columns=["group", "value"])
    sample = np.array({SAMPLE!r})
    """
)

MATPLOTLIB = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.bar(MONTHS, SALES, color="tab:green")
ax.set(title="Monthly sales", xlabel="Month", ylabel="Sales")
plt.show()
fig, (left, right) = plt.subplots(1, 2)
for city, rows in temps.groupby("city"):
    left.plot(rows.month, rows.temp, label=city)
left.legend()
right.scatter(groups.value, groups.value * 2, color="purple")
fig.suptitle("Weather")
plt.show()
plt.pie([50, 30, 20], labels=["A", "B", "C"], colors=["red", "green", "blue"])
plt.show()
plt.boxplot([groups.value[groups.group == g] for g in "abc"])
plt.show()
plt.hist(sample, bins=5, color="orange")
plt.show()
"""

SEABORN = """\
import matplotlib.pyplot as plt
import seaborn as sns
sns.barplot(x=MONTHS, y=SALES, color="steelblue", errorbar=None)
plt.show()
sns.lineplot(data=temps, x="month", y="temp", hue="city")
plt.show()
sns.boxplot(data=groups, x="group", y="value")
plt.show()
sns.boxplot(data=groups, x="value", y="group", hue="group", fill=False)
plt.show()
sns.histplot(sample, bins=8)
plt.show()
sns.heatmap(np.arange(6).reshape(2, 3), annot=True)
plt.show()
"""

PLOTLY = """\
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots
pio.renderers.default = "png"
px.bar(x=MONTHS, y=SALES, title="Monthly sales", labels={"x": "Month", "y": "Sales"}).show()
px.line(temps, x="month", y="temp", color="city").show()
fig = make_subplots(1, 3, specs=[[{"type": "xy"}, {"type": "domain"}, {"type": "domain"}]])
fig.add_trace(go.Scatter(x=groups.value, y=groups.value * 2, mode="markers"), 1, 1)
fig.add_trace(go.Pie(labels=["A", "B", "C"], values=[50, 30, 20]), 1, 2)
fig.add_trace(go.Pie(labels=["A", "B"], values=[1, 3]), 1, 3)
fig.show()
grid = go.Layout(grid={"rows": 2, "columns": 2})
go.Figure([go.Pie(values=[1, 2], domain={"row": 1, "column": 1})], layout=grid).show()
px.box(groups, x="group", y="value").show()
px.histogram(x=sample).show()
px.histogram(x=["pear", "fig", "pear", "kiwi", "pear"]).show()
"""


def execute(executor: LocalExecutor, code: str, library: Library) -> list[FigureDescription]:
    async def go() -> ExecutionResult:
        async with ExecutorClient(executor.url, executor.token) as client:
            request = ExecutionRequest(code=DATA + code, library=library, capture="displayed")
            return await client.execute(request)

    result = asyncio.run(go())
    assert result.status == ExecutionStatus.OK, result.error
    assert len(result.figures) == len(result.images)
    assert None not in result.figures, "a figure went undescribed or failed the schema"
    return [figure for figure in result.figures if figure is not None]


@pytest.fixture(scope="module")
def matplotlib_figures(executor: LocalExecutor) -> list[FigureDescription]:
    return execute(executor, MATPLOTLIB, "matplotlib")


@pytest.fixture(scope="module")
def seaborn_figures(executor: LocalExecutor) -> list[FigureDescription]:
    return execute(executor, SEABORN, "seaborn")


@pytest.fixture(scope="module")
def plotly_figures(executor: LocalExecutor) -> list[FigureDescription]:
    return execute(executor, PLOTLY, "plotly")


def cell(rows: int, cols: int, row: int, col: int, col_end: int | None = None) -> GridCell:
    return GridCell(
        rows=rows,
        cols=cols,
        row_start=row,
        row_end=row + 1,
        col_start=col,
        col_end=col + 1 if col_end is None else col_end,
    )


def only_axes(figure: FigureDescription) -> AxesDescription:
    (axes,) = figure.axes
    return axes


def values(axes: AxesDescription, kind: str) -> list[list[float]]:
    return [s.values for s in axes.series if s.kind == kind]


def box_stats(data: list[float], quantile: Callable[[list[float], float], float]) -> list[float]:
    """(low whisker end, q1, median, q3, high whisker end) with 1.5-IQR whiskers."""
    q1, median, q3 = (quantile(data, p) for p in (0.25, 0.5, 0.75))
    reach = 1.5 * (q3 - q1)
    low = min(v for v in data if v >= q1 - reach)
    high = max(v for v in data if v <= q3 + reach)
    return [low, q1, median, q3, high]


def numpy_quantile(method: str) -> Callable[[list[float], float], float]:
    return lambda data, p: float(np.quantile(data, p, method=method))  # type: ignore[call-overload]


# matplotlib's boxplot_stats use numpy's default quantiles; plotly.js interpolates as Hazen
MATPLOTLIB_BOXES = [box_stats(GROUPS[g], numpy_quantile("linear")) for g in "abc"]
PLOTLY_BOXES = [box_stats(GROUPS[g], numpy_quantile("hazen")) for g in "abc"]


def test_matplotlib_bars_lines_and_scatter(matplotlib_figures: list[FigureDescription]) -> None:
    bars, weather = matplotlib_figures[:2]
    axes = only_axes(bars)
    assert (axes.title, axes.xlabel, axes.ylabel) == ("Monthly sales", "Month", "Sales")
    assert axes.artists == {"bar": 4} and axes.xticklabels == MONTHS
    assert axes.colours == ["#2ca02c"] and values(axes, "bar") == [SALES]
    assert weather.title == "Weather"
    left, right = weather.axes
    assert (left.cell, right.cell) == (cell(1, 2, 0, 0), cell(1, 2, 0, 1))
    assert left.artists == {"line": 2} and left.legend == ["Berlin", "Paris"]
    assert left.colours == ["#1f77b4", "#ff7f0e"] and values(left, "line") == [BERLIN, PARIS]
    assert right.artists == {"scatter": 1} and right.colours == ["#800080"]
    (scatter,) = right.series
    assert scatter.size == 75 and max(scatter.values) == 60.0


def test_matplotlib_pie_box_plot_and_histogram(
    matplotlib_figures: list[FigureDescription],
) -> None:
    pie, boxes, hist = (only_axes(f) for f in matplotlib_figures[2:])
    assert pie.artists == {"pie": 3, "text": 3} and pie.texts == ["A", "B", "C"]
    assert pie.colours == ["#0000ff", "#008000", "#ff0000"]
    assert values(pie, "pie") == [pytest.approx([180, 108, 72])]
    # whiskers, caps, medians and fliers are Line2Ds, yet all of them are the boxes
    assert boxes.artists == {"box": 3}
    assert values(boxes, "box") == [pytest.approx(b) for b in MATPLOTLIB_BOXES]
    assert hist.artists == {"bar": 5} and hist.colours == ["#ffa500"]
    (counts,) = values(hist, "bar")
    assert sum(counts) == len(SAMPLE)


def test_seaborn_bars_lines_boxes_histogram_and_heatmap(
    seaborn_figures: list[FigureDescription],
) -> None:
    bars, lines, boxes, lying, hist, heatmap = (only_axes(f) for f in seaborn_figures)
    assert bars.artists == {"bar": 4} and values(bars, "bar") == [SALES]
    assert bars.colours == ["#5481a6"]  # steelblue at seaborn's saturation of 0.75
    assert bars.xticklabels == MONTHS
    assert lines.artists == {"line": 2} and lines.legend == ["Berlin", "Paris"]
    assert (lines.xlabel, lines.ylabel) == ("month", "temp")
    assert sorted(values(lines, "line")) == sorted([BERLIN, PARIS])
    assert boxes.artists == {"box": 3} and boxes.xticklabels == ["a", "b", "c"]
    assert values(boxes, "box") == [pytest.approx(b) for b in MATPLOTLIB_BOXES]
    # lying boxes drawn as lines (fill=False), one colour each; no legend stand-ins as bars
    assert lying.artists == {"box": 3} and len(lying.colours) == 3
    assert lying.yticklabels == ["a", "b", "c"]
    assert values(lying, "box") == [pytest.approx(b) for b in MATPLOTLIB_BOXES]
    assert hist.artists == {"bar": 8} and sum(values(hist, "bar")[0]) == len(SAMPLE)
    # the colour bar is no axes of its own; the annotations are texts
    assert heatmap.artists == {"image": 1, "text": 6}
    assert values(heatmap, "image") == [[0, 1, 2, 3, 4, 5]]


def test_plotly_bars_lines_and_subplots(plotly_figures: list[FigureDescription]) -> None:
    bars, lines, subplots, gridded = plotly_figures[:4]
    assert bars.title == "Monthly sales"
    axes = only_axes(bars)
    assert (axes.xlabel, axes.ylabel, axes.xticklabels) == ("Month", "Sales", MONTHS)
    assert axes.artists == {"bar": 4} and axes.colours == ["#636efa"]
    assert values(axes, "bar") == [SALES]
    axes = only_axes(lines)
    assert axes.artists == {"line": 2} and axes.legend == ["Berlin", "Paris"]
    assert axes.colours == ["#636efa", "#ef553b"] and values(axes, "line") == [BERLIN, PARIS]
    scatter, pie, small_pie = subplots.axes
    assert [a.cell for a in subplots.axes] == [cell(1, 3, 0, c) for c in range(3)]
    assert scatter.artists == {"scatter": 1} and scatter.series[0].size == 75
    assert (pie.projection, pie.artists, pie.legend) == ("domain", {"pie": 3}, ["A", "B", "C"])
    assert values(pie, "pie") == [[50, 30, 20]] and small_pie.artists == {"pie": 2}
    assert only_axes(gridded).cell == cell(2, 2, 1, 1)


def test_plotly_box_plot_and_histograms(plotly_figures: list[FigureDescription]) -> None:
    boxes, hist, categories = (only_axes(f) for f in plotly_figures[4:])
    assert boxes.artists == {"box": 3} and boxes.xticklabels == ["a", "b", "c"]
    assert values(boxes, "box") == [pytest.approx(b) for b in PLOTLY_BOXES]
    # bin counts, as plotly.js bins the sample, not the sample itself
    (counts,) = values(hist, "bar")
    assert hist.artists == {"bar": len(counts)} and 5 <= len(counts) <= 40
    assert sum(counts) == len(SAMPLE)
    assert categories.artists == {"bar": 3} and values(categories, "bar") == [[3, 1, 1]]


def test_the_same_box_plot_compares_across_libraries(
    seaborn_figures: list[FigureDescription], plotly_figures: list[FigureDescription]
) -> None:
    scores = score_figures(plotly_figures[4], seaborn_figures[2])
    assert scores.chart_type == 100 and scores.layout == 100
    assert scores.data > 95  # the quartile methods differ a little


# The describer in kernels of its own: each scenario is a fresh kernel set up as the
# sandbox's is, minus the warm-up, then its cells; the harness prints, per cell, its stdout
# and its figure descriptions.
HARNESS = """\
import json, os, sys
from jupyter_client.manager import KernelManager
from sandbox_server.protocol import DESCRIPTION_CAPS, FIGURE_MIME
from sandbox_server.snippets import kernel_code

def run(client, code):
    out = {"stdout": "", "figures": [], "images": 0, "error": None}
    def hook(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out["stdout"] += content["text"]
        elif kind in ("display_data", "execute_result"):
            out["images"] += "image/png" in content["data"]
            if FIGURE_MIME in content["data"]:
                out["figures"].append(content["data"][FIGURE_MIME])
        elif kind == "error":
            out["error"] = content["ename"] + ": " + content["evalue"]
    client.execute_interactive(code, output_hook=hook, timeout=120)
    return out

results = []
for cells in json.loads(sys.argv[1]):
    manager = KernelManager(kernel_name="python3")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    manager.start_kernel(env=env, extra_arguments=["--HistoryManager.enabled=False"])
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    for setup in (kernel_code("cap_output", 1 << 20),
                  kernel_code("describe", FIGURE_MIME, *DESCRIPTION_CAPS,
                              parts=("describe_matplotlib", "describe_plotly"))):
        reply = client.execute_interactive(setup, silent=True, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
    results.append([run(client, cell) for cell in cells])
    client.stop_channels()
    manager.shutdown_kernel(now=True)
print(json.dumps(results))
"""

CellOutput = dict[str, Any]  # the harness's: stdout, figures, images, error
PLOTTING_MODULES = (
    "import sys\n"
    "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'plotly', 'seaborn'}))"
)
SCENARIOS = {
    "plotly-express-first": [
        PLOTTING_MODULES,
        "import plotly.express as px\nfig = px.bar(x=['a', 'b'], y=[1, 2])\nfig.show()",
        "fig.show(renderer='png')",
        "import plotly.io as pio\npio.renderers.default = 'png'\nfig.show()",
        "fig",
        PLOTTING_MODULES,
    ],
    "renderer-first": [
        "import plotly.io as pio\npio.renderers.default = 'png'",
        "import plotly.graph_objects as go\ngo.Figure(go.Scatter(y=[1, 3, 2])).show()",
    ],
    "pyplot-first": [
        PLOTTING_MODULES,
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        PLOTTING_MODULES,
        # the inline backend drops every Figure printer when it selects its formats again
        "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
        "set_matplotlib_formats('png')\nplt.bar(['a'], [1])\nplt.show()",
        "import seaborn as sns\nsns.scatterplot(x=[1, 2], y=[2, 1])\nplt.show()",
        "import plotly.express as px\npx.line(y=[1, 2]).show(renderer='png')",
    ],
}


@pytest.fixture(scope="module")
def scenarios(
    docker_client: docker.DockerClient, sandbox_image: str
) -> dict[str, list[CellOutput]]:
    output = docker_client.containers.run(
        sandbox_image,
        entrypoint=["python3", "-c", HARNESS, json.dumps(list(SCENARIOS.values()))],
        network_mode="none",
        remove=True,
        stderr=False,
    )
    return dict(zip(SCENARIOS, json.loads(output), strict=True))


def described(cell_output: CellOutput) -> list[Counter[str]]:
    """The artists of each figure the cell displayed, as the host validates it."""
    assert cell_output["error"] is None, cell_output["error"]
    assert len(cell_output["figures"]) == cell_output["images"]
    figures = [FigureDescription.model_validate_json(f) for f in cell_output["figures"]]
    return [Counter(only_axes(f).artists) for f in figures]


def test_installing_imports_no_plotting_library(scenarios: dict[str, list[CellOutput]]) -> None:
    assert scenarios["plotly-express-first"][0]["stdout"] == "[]\n"
    assert scenarios["pyplot-first"][0]["stdout"] == "[]\n"
    # describing one library's figures imports no other
    assert scenarios["plotly-express-first"][-1]["stdout"] == "['plotly']\n"
    assert scenarios["pyplot-first"][2]["stdout"] == "['matplotlib']\n"


def test_plotly_is_described_whatever_it_imports_first(
    scenarios: dict[str, list[CellOutput]],
) -> None:
    express = scenarios["plotly-express-first"]
    assert described(express[1]) == []  # a fresh kernel's renderer draws no PNG
    for shown in express[2:5]:  # show(renderer="png"), the default set after, the value
        assert described(shown) == [{"bar": 2}]
    assert described(scenarios["renderer-first"][1]) == [{"line": 1}]


def test_matplotlib_is_described_after_the_inline_backend_sets_itself_up(
    scenarios: dict[str, list[CellOutput]],
) -> None:
    cells = scenarios["pyplot-first"]
    assert described(cells[1]) == [{"line": 1}]
    assert described(cells[3]) == [{"bar": 1}]
    assert described(cells[4]) == [{"scatter": 1}]
    assert described(cells[5]) == [{"line": 1}]
