"""What is sent to the executor for one item: the cell around the model's code, its data
file and which images count, by protocol.

ppb builds the cell the reference builds for each item of its notebook: an id comment; the
inline backend for matplotlib and seaborn, the PNG renderer for plotly; the item's loader,
reading the CSV by its absolute path (data-<id>.csv, so code that reads "data.csv" itself
fails, as there); the code; matplotlib's and seaborn's style reset and `%reset -f`. Those
last lines run after the code, so code that never binds `plt` (or `sns`) ends with a
NameError, an error there too. Only displayed images count, as the reference reads only the
notebook's display_data outputs.

lenient runs the loader and the code with data.csv in the working directory, and takes
every image the sandbox can find. Plotly renders PNGs whatever the library: the sandbox
used to set that for every kernel, and lenient keeps it.
"""

from __future__ import annotations

import base64

from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.records import REFERENCE_PROTOCOLS, Protocol
from orchestrator.executor.api import WORKDIR, Capture, ExecutionRequest, Library

DEFAULT_LOADER = 'import pandas as pd\ndf = pd.read_csv("data.csv")\n'
LOADER_FILE = "data.csv"  # the name the items' loaders read
PLOTLY_PNG = ("import plotly.io as pio", 'pio.renderers.default = "png"')
# lenient: the same setting, leaving no `pio` behind for the model's code to use.
LENIENT_PRELUDE = (*PLOTLY_PNG, "del pio")
PYPLOT_LIBRARIES: frozenset[Library] = frozenset({"matplotlib", "seaborn"})


def execution_request(
    protocol: Protocol, item: BenchItem, code: str, library: Library, timeout_s: float
) -> ExecutionRequest:
    """The request that runs `code` (the extracted code) for `item` under `protocol`."""
    loader = item.code_data or DEFAULT_LOADER
    capture: Capture
    if protocol in REFERENCE_PROTOCOLS:
        data_file = f"data-{item.id}.csv"
        loader = loader.replace(LOADER_FILE, f"{WORKDIR}/{data_file}")
        cell, capture = ppb_cell(item.id, loader, code, library), "displayed"
    else:
        data_file, cell, capture = LOADER_FILE, lenient_cell(loader, code), "all"
    return ExecutionRequest(
        code=cell,
        files={data_file: base64.b64encode(item.data_csv).decode()},
        library=library,
        timeout_s=timeout_s,
        capture=capture,
    )


def ppb_cell(item_id: int, loader: str, code: str, library: Library) -> str:
    """The reference's cell; `loader` already reads the CSV by its path in the sandbox."""
    lines = [f"# id = {item_id}"]
    if library in PYPLOT_LIBRARIES:
        lines.append("%matplotlib inline")
    if library == "plotly":
        lines.extend(PLOTLY_PNG)
    lines.extend([loader, code])
    if library in PYPLOT_LIBRARIES:
        lines.append("plt.rcParams.update(plt.rcParamsDefault)")
    if library == "seaborn":
        lines.append("sns.reset_orig()")
    lines.append("%reset -f")
    return "\n".join(lines)


def lenient_cell(loader: str, code: str) -> str:
    return "\n".join([*LENIENT_PRELUDE, loader.rstrip("\n"), code])
