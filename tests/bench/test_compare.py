"""`compare` refuses runs that measure different things, unless told to allow them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.bench.compare import compare
from orchestrator.bench.records import InstructsInfo, Provenance
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import UsageError
from orchestrator.bench.stats.summary import build_summary
from tests.bench.test_stats import MIXED, config

REFERENCE = InstructsInfo(name="reference", sha256="8684d4fa4e13" + "0" * 52, reference=True)
BUILTIN = InstructsInfo(name="builtin", sha256="b17" + "1" * 61, reference=False)
LOCAL_COPY = Provenance(dataset="sha256:" + "c" * 64)


def stored_run(results: Path, run_id: str, **settings: Any) -> Path:
    run_config = config().model_copy(update={"run_id": run_id, **settings})
    records = [r.model_copy(update={"run_id": run_id}) for r in MIXED]
    store = ResultsStore(results / run_id)
    store.run_dir.mkdir(parents=True)
    store.write_summary(build_summary(run_config, records))
    return store.run_dir


def stored_before_provenance(results: Path, run_id: str) -> Path:
    """A summary.json as runs wrote it before instructs and provenance were recorded."""
    run_dir = stored_run(results, run_id)
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("protocol", "instructs", "provenance", "judge_info"):
        del summary["config"][key]
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


def test_matching_runs_are_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = {"protocol": "ppb", "instructs": REFERENCE, "provenance": LOCAL_COPY}
    compare([stored_run(tmp_path, "a", **same), stored_run(tmp_path, "b", **same)])
    out = capsys.readouterr().out
    assert "runs compared" in out and "differs" not in out and "unknown" not in out


@pytest.mark.parametrize(
    ("other", "named"),
    [
        ({"protocol": "lenient"}, "protocol differs: a: ppb, b: lenient"),
        (
            {"instructs": BUILTIN},
            "instructions differs: a: reference (sha256 8684d4fa4e13), b: builtin (sha256 b17111",
        ),
        (
            {"provenance": Provenance(dataset="hub:JetBrains-Research/PandasPlotBench@1234")},
            "dataset differs: a: sha256:ccc",
        ),
    ],
)
def test_runs_that_differ_are_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], other: dict[str, Any], named: str
) -> None:
    same = {"protocol": "ppb", "instructs": REFERENCE, "provenance": LOCAL_COPY}
    runs = [stored_run(tmp_path, "a", **same), stored_run(tmp_path, "b", **{**same, **other})]
    with pytest.raises(UsageError) as error:
        compare(runs)
    assert named in str(error.value) and "--allow-mixed" in str(error.value)
    assert capsys.readouterr().out == ""

    compare(runs, allow_mixed=True)
    out = capsys.readouterr().out
    assert named in out
    assert out.index(named) < out.index("runs compared")


def test_runs_stored_before_provenance_count_as_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = [stored_before_provenance(tmp_path, "old-1"), stored_before_provenance(tmp_path, "old-2")]
    compare(old)
    out = capsys.readouterr().out
    assert "instructions: unknown (stored before this was recorded) in every run" in out
    assert "dataset: unknown" in out and "runs compared" in out

    new = stored_run(tmp_path, "new", protocol="lenient", instructs=REFERENCE)
    with pytest.raises(UsageError) as error:
        compare([old[0], new])
    message = str(error.value)
    assert "instructions differs: old-1: unknown (stored before this was recorded)" in message
    assert "protocol" not in message  # stored before PROTOCOL= existed: lenient


def test_runs_with_self_debug_get_their_pass_rates_per_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compare([stored_run(tmp_path, "a", self_debug=3), stored_run(tmp_path, "b", self_debug=1)])
    out = capsys.readouterr().out
    table = out[out.index("Self-debug: execution pass rate") :]
    assert "Init" in table and "Post A3" in table
    # MIXED: 5 of its 7 items ran without an error, and nothing was debugged
    row_b = next(line for line in table.splitlines() if line.startswith("│ b "))
    assert [cell.strip() for cell in row_b.strip("│").split("│")][2:] == [
        "71.43",
        "71.43",
        "-",
        "-",
    ]


def test_runs_without_self_debug_get_no_such_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compare([stored_run(tmp_path, "a"), stored_run(tmp_path, "b")])
    assert "Self-debug" not in capsys.readouterr().out
