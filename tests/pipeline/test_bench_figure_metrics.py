"""The judge-free figure metrics end to end: the bench CLI on fixture items with ground-truth
code, a stand-in model, the real executor (which runs the ground truth too) and a judge
whose stand-in scores vary, so that the correlations exist."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.bench.records import ItemRecord
from orchestrator.client.local_executor import LocalExecutor
from tests.support.bench_cli import bench, bench_env, only_run, records
from tests.support.judge_process import serve_judge
from tests.support.llm_server import RecordedRequest, ScriptEntry, StandinLLM
from tests.support.paths import FIGURE_ITEMS

pytestmark = pytest.mark.docker

GROUND_TRUTH = {
    int(task["id"]): str(task["code_plot"])
    for task in map(json.loads, (FIGURE_ITEMS / "tasks.jsonl").read_text().splitlines())
}
# The fixture items' tasks name their subject; each gets a reply of a known kind.
SUBJECTS = {"sales": 1, "temperature": 2, "heights": 3, "fruits": 4}
LINES_AS_BARS = GROUND_TRUTH[2].replace("ax.plot(", "ax.bar(")
TRANSPOSED = GROUND_TRUTH[3].replace("plt.subplots(1, 2,", "plt.subplots(2, 1,")


def item_of(request: RecordedRequest) -> int:
    prompt = request.turns[0][1].lower()
    return next(item for subject, item in SUBJECTS.items() if subject in prompt)


def model(request: RecordedRequest) -> ScriptEntry:
    code = {
        1: GROUND_TRUTH[1],  # the ground truth itself
        2: LINES_AS_BARS,
        3: TRANSPOSED,
        4: "import matplotlib.pyplot as plt\nplt.pie(df['no_such_column'])\n",
    }[item_of(request)]
    return f"```python\n{code}```"


def varying_judge(request: RecordedRequest) -> ScriptEntry:
    """A score that depends on what was sent, the same for the same request."""
    digest = hashlib.sha256(json.dumps(request.body, sort_keys=True).encode()).digest()
    return f"Judged.\n[FINAL SCORE]: {digest[0] % 101}"


@dataclass(frozen=True)
class Run:
    dir: Path
    stdout: str
    items: dict[int, ItemRecord]


@pytest.fixture(scope="module")
def run(executor: LocalExecutor, tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("figure-metrics")
    (tmp / "judge").mkdir()
    with serve_judge(tmp / "judge", varying_judge) as judge, StandinLLM(responder=model) as llm:
        env = bench_env(f"{llm.url}/v1", llm.api_key, executor, judge, tmp / "results")
        result = bench(env | {"DATASET": str(FIGURE_ITEMS)}, timeout_s=900)
        assert result.returncode == 0, result.stderr
    run_dir = only_run(tmp / "results")
    return Run(run_dir, result.stdout, {r.item_id: r for r in records(run_dir)})


def scores(run: Run, item: int) -> dict[str, float]:
    metrics = run.items[item].figure_metrics.scores
    assert metrics is not None, run.items[item].figure_metrics.reason
    return metrics.model_dump()


def test_the_ground_truth_itself_scores_100_on_every_metric(run: Run) -> None:
    assert run.items[1].reference_figure is not None
    assert scores(run, 1) == dict.fromkeys(scores(run, 1), 100.0)


def test_bars_instead_of_lines_lower_the_chart_type(run: Run) -> None:
    got = scores(run, 2)
    assert got["chart_type"] < 50
    assert got["text"] == 100 and got["layout"] == 100


def test_a_transposed_grid_lowers_the_layout(run: Run) -> None:
    got = scores(run, 3)
    assert got["layout"] < 50
    assert got["chart_type"] == 100 and got["colour"] == 100


def test_code_that_fails_scores_zero(run: Run) -> None:
    record = run.items[4]
    assert record.figure_metrics.reason == "no plot"
    assert scores(run, 4) == dict.fromkeys(scores(run, 4), 0.0)


def test_the_summary_and_the_closing_table_report_the_metrics_and_the_agreement(
    run: Run,
) -> None:
    summary = json.loads((run.dir / "summary.json").read_text())
    metrics = summary["figure_metrics"]
    assert metrics["scored"] == 4 and set(metrics["metrics"]) == {
        "text",
        "layout",
        "chart_type",
        "colour",
        "data",
        "overall",
    }
    assert metrics["correlations"]["overall"]["task"]["items"] == 4
    assert "Figure metrics (no judge): 4 of 4 items scored" in run.stdout
    report = (run.dir / "report.html").read_text()
    assert "Figure metrics (no judge)" in report
