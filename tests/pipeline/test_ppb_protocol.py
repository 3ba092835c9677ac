"""The pipeline under ppb and under lenient, through the seams of test_pipeline_seams.py: the
same replies give the code, wrong-library verdicts and executions each protocol's rules say."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from orchestrator.bench.cell import execution_request
from orchestrator.bench.code_extraction import extract_code
from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.records import ExecStatus, ItemOutcome, Protocol
from orchestrator.bench.results_store import ResultsStore
from orchestrator.executor.api import WORKDIR, ExecutionRequest, ExecutionResult
from tests.pipeline.test_pipeline_seams import EXECUTOR, by_case, case_in, item, judge_service
from tests.pipeline.test_pipeline_seams import pipeline as seams_pipeline
from tests.support.fake_generator import FakeGenerator, one_prompt
from tests.support.fake_judge_backend import FakeJudgeBackend
from tests.support.fake_sandbox import ok_result

pytestmark = pytest.mark.anyio

PLOT, PY_FENCE, NAME_ONLY, PROSE = range(1, 5)
REPLIES = {
    PLOT: "```python\nimport matplotlib.pyplot as plt\nplt.plot(df.x, np.sqrt(df.y))\n```",
    PY_FENCE: "```py\nimport matplotlib.pyplot as plt\nplt.plot(df.x)\n```",
    NAME_ONLY: "```python\n# no matplotlib today\nimport seaborn as sns\nsns.histplot(df.x)\n```",
    PROSE: "I cannot draw that.",
}
# case -> (executed, wrong_library, imports_library) under each protocol
EXPECTED: dict[Protocol, dict[int, tuple[bool, bool, bool]]] = {
    "ppb": {
        PLOT: (True, False, True),
        PY_FENCE: (True, True, False),  # no "```python\n" block: no code, and the cell runs
        NAME_ONLY: (True, False, False),  # the name in a comment is enough
        PROSE: (True, True, False),
    },
    "lenient": {
        PLOT: (True, False, True),
        PY_FENCE: (True, False, True),
        NAME_ONLY: (True, True, False),
        PROSE: (False, False, False),  # no_code: nothing runs
    },
}
ITEM_MARK = re.compile(r"# item (\d+)")


def with_loader(case: int) -> BenchItem:
    """The seams' item with its own loader, which marks every cell with the item's id."""
    loader = f'import pandas as pd\ndf = pd.read_csv("data.csv")  # item {case}\n'
    return item(case).model_copy(update={"code_data": loader})


ITEMS = [with_loader(case) for case in REPLIES]


class RecordedExecutions:
    """Each request, by the item whose loader it runs; every one draws a plot."""

    def __init__(self) -> None:
        self.requests: dict[int, ExecutionRequest] = {}

    async def __call__(self, request: ExecutionRequest) -> tuple[ExecutionResult, str]:
        match = ITEM_MARK.search(request.code)
        assert match, request.code
        self.requests[int(match.group(1))] = request
        return ok_result(), EXECUTOR


async def run(tmp_path: Path, protocol: Protocol) -> tuple[ResultsStore, RecordedExecutions]:
    store, executions = ResultsStore(tmp_path / "run"), RecordedExecutions()
    generator = FakeGenerator(one_prompt(lambda user: REPLIES[case_in(user)]))
    async with judge_service(tmp_path, FakeJudgeBackend()) as judge:
        await seams_pipeline(store, generator, executions, judge, ITEMS, protocol).run()
    return store, executions


@pytest.mark.parametrize("protocol", ["ppb", "lenient"])
async def test_each_protocol_extracts_judges_the_library_and_runs_by_its_rules(
    tmp_path: Path, protocol: Protocol
) -> None:
    store, executions = await run(tmp_path, protocol)
    stored = by_case(store)
    for case, (executed, wrong, imports) in EXPECTED[protocol].items():
        record = stored[case]
        assert record.outcome == ItemOutcome.DONE
        assert record.code == extract_code(REPLIES[case], protocol)
        assert (case in executions.requests, record.wrong_library) == (executed, wrong), case
        assert record.imports_library is imports, case
        assert record.execution is not None
        assert record.execution.status == (ExecStatus.OK if executed else ExecStatus.NO_CODE)
        assert (record.task_score.score is not None) == (executed and not wrong), case


async def test_ppb_sends_the_reference_cell_and_asks_for_displayed_images(
    tmp_path: Path,
) -> None:
    store, executions = await run(tmp_path, "ppb")
    record = by_case(store)[PLOT]
    assert record.code.startswith("import numpy as np\n")  # the reply uses np. only
    sent = executions.requests[PLOT]
    assert sent == execution_request("ppb", ITEMS[0], record.code, "matplotlib", 20)
    assert sent.code.startswith(f"# id = {PLOT}\n%matplotlib inline\n")
    assert f'pd.read_csv("{WORKDIR}/data-{PLOT}.csv")' in sent.code
    assert sent.files == {f"data-{PLOT}.csv": base64.b64encode(ITEMS[0].data_csv).decode()}
    assert sent.capture == "displayed"
    assert executions.requests[PROSE].code.endswith(
        "  # item 4\n\n\nplt.rcParams.update(plt.rcParamsDefault)\n%reset -f"
    )


async def test_lenient_sends_the_loader_and_code_and_asks_for_every_image(
    tmp_path: Path,
) -> None:
    store, executions = await run(tmp_path, "lenient")
    record = by_case(store)[PLOT]
    sent = executions.requests[PLOT]
    assert sent == execution_request("lenient", ITEMS[0], record.code, "matplotlib", 20)
    assert sent.files == {"data.csv": base64.b64encode(ITEMS[0].data_csv).decode()}
    assert sent.capture == "all"
