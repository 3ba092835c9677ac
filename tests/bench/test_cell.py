"""The execution request for one item under each protocol: the cell text, the data file and
which images count."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import plotly.io as pio
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from orchestrator.bench.cell import DEFAULT_LOADER, LENIENT_PRELUDE, execution_request
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.records import Protocol
from orchestrator.executor.api import WORKDIR, ExecutionRequest, Library

CSV = b"x,y\n1,2\n"
LOADER = 'import pandas as pd\ndf = pd.read_csv("data.csv")\ndf["z"] = 1\n'
CODE = "import matplotlib.pyplot as plt\nplt.plot(df.x, df.y)\nplt.show()"
PATH = f"{WORKDIR}/data-7.csv"
PPB_LOADER = f'import pandas as pd\ndf = pd.read_csv("{PATH}")\ndf["z"] = 1\n'


def item(code_data: str | None = LOADER) -> BenchItem:
    return BenchItem(
        id=7,
        data_csv=CSV,
        code_data=code_data,
        plot_description="",
        plot_style="",
        short="",
        single="",
    )


def request(protocol: Protocol, library: Library = "matplotlib", **kwargs: Any) -> ExecutionRequest:
    return execution_request(protocol, item(**kwargs), CODE, library, timeout_s=30)


def test_ppb_cell_for_matplotlib() -> None:
    assert request("ppb").code == "\n".join(
        [
            "# id = 7",
            "%matplotlib inline",
            PPB_LOADER,
            CODE,
            "plt.rcParams.update(plt.rcParamsDefault)",
            "%reset -f",
        ]
    )


def test_ppb_cell_for_seaborn() -> None:
    assert request("ppb", "seaborn").code == "\n".join(
        [
            "# id = 7",
            "%matplotlib inline",
            PPB_LOADER,
            CODE,
            "plt.rcParams.update(plt.rcParamsDefault)",
            "sns.reset_orig()",
            "%reset -f",
        ]
    )


def test_ppb_cell_for_plotly() -> None:
    assert request("ppb", "plotly").code == "\n".join(
        [
            "# id = 7",
            "import plotly.io as pio",
            'pio.renderers.default = "png"',
            PPB_LOADER,
            CODE,
            "%reset -f",
        ]
    )


@pytest.mark.parametrize("library", ["matplotlib", "seaborn", "plotly"])
def test_ppb_cell_is_valid_ipython(library: Library) -> None:
    compile(TransformerManager().transform_cell(request("ppb", library).code), "cell", "exec")


def test_ppb_sends_the_csv_under_its_id_and_the_loader_reads_it_by_path() -> None:
    sent = request("ppb")
    assert sent.files == {"data-7.csv": base64.b64encode(CSV).decode()}
    assert (sent.capture, sent.library, sent.timeout_s) == ("displayed", "matplotlib", 30)
    default = request("ppb", code_data=None).code
    assert DEFAULT_LOADER.replace("data.csv", PATH) in default
    assert '"data.csv"' not in default


def test_ppb_runs_the_cell_without_code() -> None:
    sent = execution_request("ppb", item(), "", "matplotlib", timeout_s=30)
    assert sent.code == "\n".join(
        [
            "# id = 7",
            "%matplotlib inline",
            PPB_LOADER,
            "",
            "plt.rcParams.update(plt.rcParamsDefault)",
            "%reset -f",
        ]
    )


@pytest.mark.parametrize("library", ["matplotlib", "seaborn", "plotly"])
def test_lenient_cell_is_the_loader_then_the_code_with_png_plotly(library: Library) -> None:
    sent = request("lenient", library)
    assert sent.code == "\n".join([*LENIENT_PRELUDE, LOADER.rstrip("\n"), CODE])
    assert sent.files == {"data.csv": base64.b64encode(CSV).decode()}
    assert sent.capture == "all"
    assert request("lenient", code_data=None).code.endswith(DEFAULT_LOADER + CODE)


@pytest.fixture
def plotly_renderer() -> Iterator[None]:
    before = pio.renderers.default
    yield
    pio.renderers.default = before


@pytest.mark.usefixtures("plotly_renderer")
def test_lenient_prelude_sets_the_png_renderer_and_leaves_no_name() -> None:
    pio.renderers.default = "json"
    namespace: dict[str, Any] = {}
    exec("\n".join(LENIENT_PRELUDE), namespace)
    assert set(namespace) == {"__builtins__"}
    assert pio.renderers.default == "png"
