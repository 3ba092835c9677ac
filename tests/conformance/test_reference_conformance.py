"""`PROTOCOL=ppb` gives, reply by reply, the outcome the reference benchmark gives.

The same model replies go two ways, for each library:

- through the project: a scripted stand-in model serves them to the real bench CLI, which
  runs one fixture item once per reply (REPEATS) through the executor service and its
  sandboxes; a record has a plot when it holds images and an error when its execution is
  not "ok";
- through the reference procedure, written again in tests/support/reference_notebook.py:
  as the reference runs a library's items, one notebook per library with a cell per reply,
  executed by `jupyter nbconvert --execute --allow-errors` in the sandbox image plus
  nbconvert (nbconvert.Dockerfile); a plot is a display_data output with image/png, an error
  an error output.

Both must agree on "has a plot" and "has an error" for every reply. The replies probe each
rule of the reference: which fences count, which reads of data.csv are replaced, which
figures are displayed, the lines around the code that need `plt` and `sns`, and the
versions of the stack (numpy 1's names). The reference's cells share a kernel, where ppb
runs each item in a fresh one: the replies are in an order in which no cell's outcome
depends on the cells before it (names a failing cell leaves behind change only which
NameError a later cell ends with), so any disagreement is ppb's.

All halves (the reference's three notebooks in one container, ppb's three runs) run side by
side, once for the module; each library's test compares its own.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.bench.records import ItemRecord
from orchestrator.client.local_executor import LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.llm_server import StandinLLM
from tests.support.paths import FIXTURE_DATASET
from tests.support.reference_notebook import CellOutcome, fixture_item, run_reference

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ITEM_ID = 3  # month,sales; its loader reads "data.csv" into df
LIBRARIES = ["matplotlib", "seaborn", "plotly"]

BAR = 'plt.bar(df["month"], df["sales"])\nplt.title("Sales")\n'
PYPLOT = "import matplotlib.pyplot as plt\n"


def fenced(code: str, tag: str = "python") -> str:
    return f"```{tag}\n{code}```"


# name -> the model's whole reply. Not every reply suits every library, on purpose: the
# same list runs under all three, and whatever the reference makes of it, ppb must too.
REPLIES: dict[str, str] = {
    # A plain pyplot answer; under plotly, a matplotlib plot in a plotly run.
    "python fence, plt.show()": "Here is the code:\n\n"
    + fenced(PYPLOT + BAR + "plt.show()\n")
    + "\n\nIt draws the bars.",
    # Never shown: the inline backend displays open figures when the cell ends.
    "seaborn figure never shown": fenced(
        "import seaborn as sns\n" + PYPLOT + 'sns.barplot(data=df, x="month", y="sales")\n'
    ),
    "plotly fig.show()": fenced(
        "import plotly.express as px\n"
        'fig = px.bar(df, x="month", y="sales", title="Sales")\nfig.show()\n'
    ),
    # Not the cell's last expression: lines follow the code in the cell.
    "plotly figure as the last expression": fenced(
        'import plotly.graph_objects as go\nfig = go.Figure(go.Bar(x=df["month"], y=df["sales"]))\n'
        "fig\n"
    ),
    "```py, ```Python and bare fences only": "One:\n"
    + fenced(PYPLOT + BAR + "plt.show()\n", "py")
    + "\nTwo:\n"
    + fenced(PYPLOT + BAR + "plt.show()\n", "Python")
    + "\nThree:\n"
    + fenced(PYPLOT + BAR + "plt.show()\n", ""),
    "```python with code on the same line": "```python import matplotlib.pyplot as plt\n"
    + BAR
    + "plt.show()\n```",
    "several blocks, a ```py one among them": "First the imports:\n"
    + fenced(PYPLOT + "import seaborn as sns\nimport plotly.express as px\n")
    + "\nNot this one:\n"
    + fenced('raise RuntimeError("a py block ran")\n', "py")
    + "\nThen the plot:\n"
    + fenced(BAR + "plt.show()\n")
    + "\nInstall with\n"
    + fenced("pip install matplotlib\n", "bash"),
    # All four replaced spellings: one left in place would fail on the missing data.csv.
    "replaced reads, all four spellings": fenced(
        "import pandas as pd\n"
        + PYPLOT
        + 'df = pd.read_csv("data.csv")\n'
        + "df = pd.read_csv('data.csv')\n"
        + 'df=pd.read_csv("data.csv")\n'
        + "df=pd.read_csv('data.csv')\n"
        + BAR
        + "plt.show()\n"
    ),
    "kept read: a space inside the parenthesis": fenced(
        "import pandas as pd\n" + PYPLOT + 'df = pd.read_csv( "data.csv")\n' + BAR
    ),
    "kept read: into another name": fenced(
        "import pandas as pd\n"
        + PYPLOT
        + 'data = pd.read_csv("data.csv")\n'
        + 'plt.bar(data["month"], data["sales"])\n'
    ),
    "kept read of ./data.csv, an error after a plot": fenced(
        "import pandas as pd\n" + PYPLOT + BAR + "plt.show()\n" + 'df = pd.read_csv("./data.csv")\n'
    ),
    "figure closed before the end": fenced(
        PYPLOT
        + 'fig, ax = plt.subplots()\nax.bar(df["month"], df["sales"])\n'
        + 'fig.savefig("closed.png")\nplt.close(fig)\n'
    ),
    "plt and sns never bound": fenced(
        "import matplotlib.pyplot as pyplot\nimport seaborn\n"
        'seaborn.barplot(data=df, x="month", y="sales")\npyplot.show()\n'
    ),
    "names numpy 2 removed": fenced(
        PYPLOT
        + 'sales = df["sales"].astype(np.float_)\nsales[0] = np.NaN\n'
        + 'plt.bar(df["month"], sales.fillna(0))\nplt.show()\n'
    ),
    "prose only": "A bar chart of sales per month would suit this data: months on the x "
    "axis, sales as the bar heights, and the title 'Sales'.",
    # Last: the backend it sets outlives `%reset -f`. In the reference's notebook it would
    # keep later cells that do not run "%matplotlib inline" (plotly's) from showing pyplot
    # figures, which ppb, running each item in a fresh kernel, does not reproduce.
    "Agg backend and savefig": fenced(
        'import matplotlib\nmatplotlib.use("Agg")\n'
        + PYPLOT
        + BAR
        + 'plt.savefig("sales.png")\nplt.show()\n'
    ),
}


@dataclass(frozen=True)
class Outcome:
    has_plot: bool
    has_error: bool
    detail: str

    def __str__(self) -> str:
        plot = "a plot" if self.has_plot else "no plot"
        error = f"an error ({self.detail})" if self.has_error else "no error"
        return f"{plot}, {error}"


def project_outcome(record: ItemRecord) -> Outcome:
    execution = record.execution
    assert execution is not None, record.model_dump_json(include={"outcome", "infra_error"})
    detail = f"{execution.status.value}: {execution.ename}: {execution.evalue}"
    return Outcome(len(record.images) > 0, execution.status != "ok", detail)


def reference_outcome(cell: CellOutcome) -> Outcome:
    return Outcome(cell.has_plot, cell.has_error, cell.error)


def run_through_project(executor: LocalExecutor, tmp: Path, library: str) -> dict[str, Outcome]:
    """Each reply's outcome under the bench CLI with PROTOCOL=ppb, by the reply's name.

    The model endpoint is called concurrently, so the stand-in's script order need not be
    the repeat order: each record is matched to its reply by the response text it stores.
    """
    names_by_text = {text: name for name, text in REPLIES.items()}
    with StandinLLM(script=list(REPLIES.values()), default_reply="unexpected request") as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, None, tmp)
        env |= {
            "PROTOCOL": "ppb",
            "LIBRARY": library,
            "IDS": str(ITEM_ID),
            "REPEATS": str(len(REPLIES)),
            "JUDGE": "none",
        }
        # The three libraries' runs share one executor: on a loaded machine each waits long.
        result = bench(env, timeout_s=1500)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert len(llm.requests) == len(REPLIES)
    outcomes: dict[str, Outcome] = {}
    for record in records(only_run(tmp)):
        name = names_by_text.get(record.response)
        assert name is not None, (
            f"a record whose response is no scripted reply: {record.response!r}"
        )
        assert name not in outcomes, f"two records for the reply {name!r}"
        outcomes[name] = project_outcome(record)
    assert set(outcomes) == set(REPLIES)
    return outcomes


def run_through_reference(image: str, tmp: Path) -> dict[str, dict[str, Outcome]]:
    item = fixture_item(FIXTURE_DATASET / "tasks.jsonl", ITEM_ID)
    cells = run_reference(
        image=image,
        workdir=tmp,
        item_id=ITEM_ID,
        loader=item["code_data"],
        csv=(FIXTURE_DATASET / "data" / f"data-{ITEM_ID}.csv").read_bytes(),
        replies=list(REPLIES.values()),
        libraries=LIBRARIES,
    )
    return {
        library: {
            name: reference_outcome(cell)
            for name, cell in zip(REPLIES, cells[library], strict=True)
        }
        for library in LIBRARIES
    }


Halves = tuple[dict[str, Outcome], dict[str, Outcome]]  # (the reference's, ppb's)


@pytest.fixture(scope="module")
def halves(
    nbconvert_image: str, executor: LocalExecutor, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Halves]:
    """Both halves' outcomes by library, all run side by side."""
    assert len(set(REPLIES.values())) == len(REPLIES)
    tmp = tmp_path_factory.mktemp("conformance")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1 + len(LIBRARIES)) as pool:
        reference_run = pool.submit(run_through_reference, nbconvert_image, tmp / "reference")
        project_runs = {
            library: pool.submit(run_through_project, executor, tmp / library, library)
            for library in LIBRARIES
        }
        reference = reference_run.result()
        project = {library: run.result() for library, run in project_runs.items()}
    print(f"all halves in {time.monotonic() - started:.1f} s")
    return {library: (reference[library], project[library]) for library in LIBRARIES}


# The first test's set-up runs the module's `halves`: the work of all three.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("library", LIBRARIES)
def test_ppb_agrees_with_the_reference_reply_by_reply(
    library: str, halves: dict[str, Halves]
) -> None:
    reference, project = halves[library]

    # Not vacuous: the replies reach both answers to both questions.
    assert {o.has_plot for o in reference.values()} == {True, False}, reference
    assert {o.has_error for o in reference.values()} == {True, False}, reference

    disagreements = [
        f"{name!r}: the reference gives {reference[name]}; ppb gives {project[name]}"
        for name in REPLIES
        if (reference[name].has_plot, reference[name].has_error)
        != (project[name].has_plot, project[name].has_error)
    ]
    assert not disagreements, f"{library}, {len(disagreements)} of {len(REPLIES)} replies:\n" + (
        "\n".join(disagreements)
    )
