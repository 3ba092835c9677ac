"""Which images a real sandbox returns for each capture, and the ppb cell run for real."""

from __future__ import annotations

import asyncio
import base64

import pytest

from orchestrator.bench.cell import execution_request
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import Capture, ExecutionRequest, ExecutionResult, ExecutionStatus

pytestmark = pytest.mark.docker

CSV = b"year,sales\n2020,10\n2021,14\n2022,9\n"
FILES = {"data.csv": base64.b64encode(CSV).decode()}
LOAD = 'import pandas as pd\ndf = pd.read_csv("data.csv")\n'
PNG_PLOTLY = "import plotly.io as pio\npio.renderers.default = 'png'\nimport plotly.express as px\n"
LEFT_OPEN = (
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])"
)
SHOWN = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"
FIGURE_VALUE = "import matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot([1, 2])\nfig"
IMAGE_VALUE = (
    "import io\nimport matplotlib.pyplot as plt\nfrom IPython.display import Image\n"
    "plt.plot([1, 2])\nbuf = io.BytesIO()\nplt.savefig(buf, format='png')\nplt.close('all')\n"
    "Image(data=buf.getvalue())"
)


def send(executor: LocalExecutor, request: ExecutionRequest) -> ExecutionResult:
    async def go() -> ExecutionResult:
        async with ExecutorClient(executor.url, executor.token) as client:
            return await client.execute(request)

    return asyncio.run(go())


def run(executor: LocalExecutor, code: str, capture: Capture) -> ExecutionResult:
    return send(executor, ExecutionRequest(code=code, files=FILES, capture=capture))


@pytest.mark.parametrize(
    ("code", "displayed", "all_"),
    [
        pytest.param(IMAGE_VALUE, 0, 1, id="png-as-the-value"),  # execute_result only
        pytest.param(FIGURE_VALUE, 1, 2, id="figure-as-the-value"),  # and the inline flush
        pytest.param(LEFT_OPEN, 0, 1, id="figure-left-open"),  # the harvest's
        pytest.param(SHOWN, 1, 1, id="plt-show"),
        pytest.param(LOAD + PNG_PLOTLY + "px.bar(df, x='year').show()", 1, 1, id="fig-show"),
        # a plotly figure displays itself (_ipython_display_), even as the value
        pytest.param(LOAD + PNG_PLOTLY + "px.bar(df, x='year')", 1, 1, id="plotly-as-the-value"),
    ],
)
def test_displayed_takes_only_what_the_code_displays(
    executor: LocalExecutor, code: str, displayed: int, all_: int
) -> None:
    expected: list[tuple[Capture, int]] = [("displayed", displayed), ("all", all_)]
    for capture, images in expected:
        result = run(executor, code, capture)
        assert result.status == ExecutionStatus.OK, result.error
        assert len(result.images) == images, capture


def test_plotly_renders_no_png_unless_the_code_asks(executor: LocalExecutor) -> None:
    code = LOAD + "import plotly.express as px\npx.bar(df, x='year', y='sales').show()"
    result = run(executor, code, "displayed")
    assert result.status == ExecutionStatus.OK, result.error
    assert result.images == []


def ppb(executor: LocalExecutor, code: str) -> ExecutionResult:
    item = BenchItem(id=7, data_csv=CSV, plot_description="", plot_style="", short="", single="")
    return send(executor, execution_request("ppb", item, code, "matplotlib", 60))


def test_the_ppb_cell_reads_the_csv_by_path_and_shows_the_plot(executor: LocalExecutor) -> None:
    result = ppb(executor, "import matplotlib.pyplot as plt\nplt.plot(df.year, df.sales)")
    assert result.status == ExecutionStatus.OK, result.error
    assert len(result.images) == 1  # flushed by the inline backend at the end of the cell


def test_the_ppb_cell_fails_when_the_code_never_binds_plt(executor: LocalExecutor) -> None:
    result = ppb(executor, "")
    assert result.status == ExecutionStatus.ERROR
    assert result.error is not None and result.error.ename == "NameError"


def test_code_reading_data_csv_itself_fails_under_ppb(executor: LocalExecutor) -> None:
    result = ppb(executor, "import matplotlib.pyplot as plt\ndf = pd.read_csv('data.csv', sep=',')")
    assert result.status == ExecutionStatus.ERROR
    assert result.error is not None and result.error.ename == "FileNotFoundError"
