"""The reference benchmark's way of running a model's reply, written again for tests.

PandasPlotBench (JetBrains-Research/PandasPlotBench) takes the code of a reply, wraps it in
one notebook cell per item, executes the notebook with `jupyter nbconvert --execute
--allow-errors` and reads the executed notebook: an item has a plot when its cell has a
display_data output carrying image/png, and an error when its cell has an error output.

This module is a second, independent implementation of that procedure (it does not use
orchestrator/bench's extraction or cell building), so the conformance tests can hold the
project's `PROTOCOL=ppb` against it. What it follows:

- Code: only the text after each "```python" + newline counts, each piece up to the next
  ```, stripped; the pieces are joined by newlines. Four spellings of the data read
  (`df = pd.read_csv("data.csv")`, with ' or ", with or without the spaces around "=") are
  replaced by "#" wherever they occur; "import numpy as np" goes first when "np." occurs.
- Cell: "# id = <id>"; "%matplotlib inline" (matplotlib, seaborn) or the plotly PNG
  renderer (plotly); the item's loader reading the CSV by its absolute path; the code; the
  pyplot rcParams reset (matplotlib, seaborn); seaborn's reset (seaborn); "%reset -f".
- Notebook: one per library, a cell per item in order, sharing one kernel as the
  reference's do: a failing cell skips its "%reset -f" and leaves its names to the next
  cells, and what outlives "%reset -f" (a backend set by `matplotlib.use`) stays for all
  later cells. Each notebook is executed by its own nbconvert, side by side in one
  container without network, and each cell's outcome is read by its "# id = " line.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

MOUNT = "/mnt/reference"  # where the notebooks and the CSV are seen inside the container
PYPLOT_LIBRARIES = ("matplotlib", "seaborn")
ID_PREFIX = "# id = "


def reference_code(reply: str) -> str:
    """The code the reference takes from a model's reply."""
    opening, closing = "```python\n", "```"
    pieces = []
    rest = reply
    while (start := rest.find(opening)) != -1:
        rest = rest[start + len(opening) :]
        end = rest.find(closing)
        pieces.append((rest if end == -1 else rest[:end]).strip())
    code = "\n".join(pieces)
    for spelling in (
        'df = pd.read_csv("data.csv")',
        "df = pd.read_csv('data.csv')",
        'df=pd.read_csv("data.csv")',
        "df=pd.read_csv('data.csv')",
    ):
        code = code.replace(spelling, "#")
    if "np." in code:
        code = "import numpy as np\n" + code
    return code


def reference_cell(item_id: int, loader: str, code: str, library: str) -> str:
    """The reference's cell for one item; `loader` already reads the CSV by its path."""
    pyplot = library in PYPLOT_LIBRARIES
    lines = [f"{ID_PREFIX}{item_id}"]
    if pyplot:
        lines.append("%matplotlib inline")
    if library == "plotly":
        lines += ["import plotly.io as pio", 'pio.renderers.default = "png"']
    lines += [loader, code]
    if pyplot:
        lines.append("plt.rcParams.update(plt.rcParamsDefault)")
    if library == "seaborn":
        lines.append("sns.reset_orig()")
    lines.append("%reset -f")
    return "\n".join(lines)


@dataclass(frozen=True)
class CellOutcome:
    has_plot: bool
    has_error: bool
    error: str  # "ename: evalue" of the cell's error, "" for none


def cell_outcomes(notebook: Path) -> dict[int, CellOutcome]:
    """Each cell's plot and error by the id on its first line, read as the reference reads."""
    executed: Any = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    outcomes = {}
    for cell in executed.cells:
        first_line = cell.source.lstrip("\n").split("\n")[0]
        if cell.cell_type != "code" or not first_line.startswith(ID_PREFIX):
            continue
        errors = [
            f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error"
        ]
        plots = [
            out
            for out in cell.outputs
            if out.output_type == "display_data" and "image/png" in out.data
        ]
        outcomes[int(first_line.removeprefix(ID_PREFIX))] = CellOutcome(
            has_plot=bool(plots), has_error=bool(errors), error=errors[-1] if errors else ""
        )
    return outcomes


def run_reference(
    *,
    image: str,
    workdir: Path,
    item_id: int,
    loader: str,
    csv: bytes,
    replies: list[str],
    libraries: list[str],
    timeout_s: float = 900,
) -> dict[str, list[CellOutcome]]:
    """Runs the replies as the reference would, a notebook per library, all in one container.

    Each library's notebook has one cell per reply, in order. The replies all answer the
    item `item_id`, so each cell's id comment numbers its reply instead: the outcomes are
    read back by that id, as the reference reads its items'. `loader` is the item's
    data-loading code as the dataset gives it (reading "data.csv"); the CSV is stored as
    data-<id>.csv, so code that reads "data.csv" itself fails, as it does in the reference
    (whose CSVs are not in the notebook's folder either). Outcomes by library, in order.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o777)  # the image's user (not root) writes the executed notebooks
    csv_name = f"data-{item_id}.csv"
    (workdir / csv_name).write_bytes(csv)
    loader = loader.replace("data.csv", f"{MOUNT}/{csv_name}")
    names = []
    for library in libraries:
        notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
        notebook.cells = [
            nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]
                reference_cell(number, loader, reference_code(reply), library)
            )
            for number, reply in enumerate(replies)
        ]
        name = f"{library}.ipynb"
        nbformat.write(notebook, workdir / name)  # type: ignore[no-untyped-call]
        (workdir / name).chmod(0o666)
        names.append(name)
    container = f"ppb-reference-{os.getpid()}"
    # One nbconvert process per notebook, side by side. The font cache built into the image
    # goes where matplotlib looks (as the server does).
    nbconvert = (
        "jupyter nbconvert --to notebook --execute --allow-errors --inplace"
        " --ExecutePreprocessor.timeout=60"
    )
    script = (
        'cp -r /opt/mplconfig/. "$MPLCONFIGDIR" && printf "%s\\n" "$@"'
        f" | xargs -P {len(names)} -n 1 {nbconvert}"
    )
    command = [
        "docker", "run", "--rm", "--network", "none", "--name", container,
        "--volume", f"{workdir}:{MOUNT}", "--workdir", MOUNT,
        "--entrypoint", "sh", image,
        "-c", script,
        "sh", *names,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)
        raise
    if done.returncode != 0:
        raise RuntimeError(f"nbconvert failed ({done.returncode}):\n{done.stderr[-4000:]}")
    outcomes = {}
    for library, name in zip(libraries, names, strict=True):
        by_id = cell_outcomes(workdir / name)
        assert sorted(by_id) == list(range(len(replies))), f"{name}: cells {sorted(by_id)}"
        outcomes[library] = [by_id[number] for number in range(len(replies))]
    return outcomes


def fixture_item(tasks: Path, item_id: int) -> dict[str, Any]:
    """One item of a tasks.jsonl, as the dataset stores it."""
    for line in tasks.read_text().splitlines():
        item: dict[str, Any] = json.loads(line)
        if item["id"] == item_id:
            return item
    raise KeyError(f"item {item_id} is not in {tasks}")
