"""The unsandboxed baselines, on the host's venv: one `jupyter nbconvert --execute` of a
notebook per library (the reference benchmark's way), and one plain Python process per
library exec'ing the snippets. Both render every figure to PNG and count them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from orchestrator.executor.api import Library
from tests.perf.snippets import cells

# Shows figures as the inline backend and plotly's png renderer would: as PNG bytes.
PLAIN_RUNNER = """
import io, json, sys
library, codes = json.load(sys.stdin)
counts = []
if library == "plotly":
    import plotly.basedatatypes, plotly.io as pio
    def show(fig, *args, **kwargs):
        counts[-1] += bool(pio.to_image(fig, format="png"))
    plotly.basedatatypes.BaseFigure.show = show
else:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    def show(*args, **kwargs):
        for number in plt.get_fignums():
            buffer = io.BytesIO()
            plt.figure(number).savefig(buffer, format="png", bbox_inches="tight")
            counts[-1] += bool(buffer.getvalue())
        plt.close("all")
    plt.show = show
for code in codes:
    counts.append(0)
    exec(code, {})
print(json.dumps(counts))
"""


class MissingImages(RuntimeError):
    """A snippet drew no PNG: the timing would not be of the same work."""


def check_counts(path: str, library: Library, counts: list[int]) -> None:
    if not counts or min(counts) < 1:
        raise MissingImages(f"{path}, {library}: PNGs per snippet {counts}")


def plain(workdir: Path, library: Library) -> float:
    """Seconds for one fresh Python process to exec the library's snippets."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_RUNNER],
        input=json.dumps([library, cells(library)]),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    check_counts("plain process", library, json.loads(out.stdout.splitlines()[-1]))
    return elapsed


def nbconvert(workdir: Path, library: Library) -> float:
    """Seconds for `jupyter nbconvert --execute` of one notebook of the library's snippets,
    from the command's start (its kernel start included) to its exit."""
    notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.cells = [
        nbformat.v4.new_code_cell(code)  # type: ignore[no-untyped-call]
        for code in cells(library)
    ]
    source = workdir / f"{library}.ipynb"
    nbformat.write(notebook, source)  # type: ignore[no-untyped-call]
    executed = workdir / f"{library}-executed.ipynb"
    started = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute"),
            *("--ExecutePreprocessor.timeout=600", "--output", executed.name, source.name),
        ],
        cwd=workdir,
        capture_output=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    done = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
    outputs = [cell.outputs for cell in done.cells]
    counts = [sum("image/png" in out.get("data", {}) for out in cell) for cell in outputs]
    check_counts("nbconvert", library, counts)
    return elapsed
