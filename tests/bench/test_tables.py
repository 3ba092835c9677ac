from __future__ import annotations

import io

import pytest
from rich.console import Console, RenderableType

from orchestrator.bench.progress import output_console
from orchestrator.bench.records import InstructsInfo, JudgeInfo
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.self_debug_tables import self_debug_comparison_table
from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import comparison_table, run_table
from tests.bench.test_self_debug_stats import ITEMS, debug_config
from tests.bench.test_stats import MIXED, config, record


def render(renderable: RenderableType) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_run_table_in_table_i_layout() -> None:
    text = render(run_table(build_summary(config(), MIXED)))
    header = next(line for line in text.splitlines() if "Incorrect" in line)
    assert header.index("Incorrect") < header.index("Visual") < header.index("Task")
    row = next(line for line in text.splitlines() if line.strip().startswith("│ m "))
    # incorrect 2/7; visual mean 25, good 25, bad 75; task mean 45, good 3/7, bad 3/7
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["m", "28.6", "25.0", "25.0", "75.0", "45.0", "42.9", "42.9"]
    for label in ("infrastructure errors (excluded)", "wrong library", "unparsed", "not scored"):
        assert label in text
    assert "4.1" in text  # mean generation time, s


def test_not_judged_run() -> None:
    text = render(run_table(build_summary(config(judge=None), MIXED)))
    assert text.count("not judged") >= 6
    assert "Scores: not judged" in text


def test_comparison_shows_mean_and_sd_and_the_settings_that_differ() -> None:
    repeated = build_summary(
        config(repeats=2),
        [record(1, visual=60, task=80, repeat=0), record(1, visual=40, task=80, repeat=1)],
    )
    other_config = config().model_copy(update={"run_id": "run-2", "library": "plotly"})
    other = build_summary(other_config, [r.model_copy(update={"run_id": "run-2"}) for r in MIXED])
    text = render(comparison_table([repeated, other], title="Libraries"))
    assert "Libraries" in text and "Library" in text
    assert "Descriptor" not in text  # the same in both runs
    assert "50.0 ± 14.1" in text  # visual mean over the repeats: 60 and 40
    assert "2 (2 repeats)" in text
    assert "plotly" in text and "28.6" in text


def row_cells(text: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.strip().startswith("│ m "))
    return [cell.strip() for cell in row.strip("│ ").split("│")]


def test_ppb_run_table_in_the_papers_layout() -> None:
    text = render(run_table(build_summary(config(protocol="ppb"), MIXED)))
    assert "reference protocol (the paper's Table I): m (matplotlib)" in " ".join(text.split())
    header = next(line for line in text.splitlines() if "Error" in line)
    assert header.index("Error") < header.index("Visual") < header.index("Task")
    # error rate 2/7; visual 100/7 -> 14, 1/7, 6/7; task 45, 3/7, 3/7 (test_stats)
    assert row_cells(text) == ["m", "0.286", "14", "0.14", "0.86", "45", "0.43", "0.43"]
    for label in ("no plots", "unparsed (scored 0)", "not scored (scored 0)"):
        assert label in text
    assert "Lenient protocol" not in text and "Incorrect" not in text
    assert "4.1" in text  # time per item, s


def test_lenient_run_table_says_it_is_not_comparable() -> None:
    text = render(run_table(build_summary(config(), MIXED)))
    assert "Lenient protocol (this project's own rules)" in text
    assert "not comparable with the paper" in text
    assert "reference protocol" not in text


def test_ppb_not_judged_and_old_summaries() -> None:
    text = render(run_table(build_summary(config(judge=None, protocol="ppb"), MIXED)))
    assert row_cells(text)[1] == "0.286"  # the error rate needs no judge
    assert row_cells(text)[2:] == ["not judged"] * 6
    repeated = [r.model_copy(update={"repeat": 1}) for r in MIXED]
    text = render(run_table(build_summary(config(repeats=2, protocol="ppb"), MIXED + repeated)))
    assert "Table I, 2 repeats pooled" in " ".join(text.split())
    assert row_cells(text)[1:3] == ["0.286", "14"]  # the same items twice: the same figures
    old = build_summary(config(protocol="ppb"), MIXED).model_copy(update={"reference": None})
    text = render(run_table(old))
    assert "Incorrect" in text and "predates the reference figures" in text


def test_instructions_and_judge_lines() -> None:
    base = config(protocol="ppb")
    unknown = render(run_table(build_summary(base, MIXED)))
    assert "Instructions: unknown" in unknown and "Judge:" not in unknown
    reference = InstructsInfo(name="reference", sha256="ab" * 32, reference=True)
    judge = JudgeInfo(
        url="http://judge:8080",
        judge="openai:gpt-4o",
        parameters={"temperature": 0},
        instructions="reference sha256:1234",
    )
    ours = build_summary(
        base.model_copy(update={"instructs": reference, "judge_info": judge}), MIXED
    )
    text = render(run_table(ours))
    assert "Instructions:" not in text
    assert "Judge: openai:gpt-4o (temperature=0), instructions reference sha256:1234" in text
    custom = InstructsInfo(name="my/instructs.json", sha256="cd" * 32, reference=False)
    text = render(run_table(build_summary(base.model_copy(update={"instructs": custom}), MIXED)))
    assert "Instructions: my/instructs.json (sha256 cdcdcdcdcdcd), not the reference's" in text


def test_ppb_table_in_a_log_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    model = "openai-compatible:qwen2.5-coder-1.5b-instruct-q4_k_m-with-a-long-suffix"
    custom = InstructsInfo(name="x" * 60, sha256="cd" * 32, reference=False)
    cfg = config(protocol="ppb").model_copy(update={"model": model, "instructs": custom})
    log = io.StringIO()
    output_console(log).print(run_table(build_summary(cfg, MIXED)))
    text = log.getvalue()
    assert "…" not in text and model in text and "not the reference's" in text


def test_comparison_names_the_protocol_when_it_differs() -> None:
    ppb = build_summary(config(protocol="ppb"), MIXED)
    lenient_config = config().model_copy(update={"run_id": "run-2"})
    lenient = build_summary(
        lenient_config, [r.model_copy(update={"run_id": "run-2"}) for r in MIXED]
    )
    text = render(comparison_table([ppb, lenient]))
    assert "Protocol" in text and "ppb" in text and "lenient" in text


def cells_of(text: str, first: str, after: str = "") -> list[str]:
    """The cells of the first row starting with `first` below the text `after`."""
    lines = text[text.index(after) :].splitlines()
    row = next(line for line in lines if line.strip().startswith(f"│ {first} "))
    return [cell.strip() for cell in row.strip("│ ").split("│")]


def test_self_debug_run_in_viscoders_layout() -> None:
    text = render(run_table(build_summary(debug_config(), ITEMS)))
    header = next(line for line in text.splitlines() if "Post A1" in line)
    assert header.index("Init") < header.index("Post A1") < header.index("Post A3")
    assert cells_of(text, "m", after="Post A1") == [
        "m",
        "40.00",
        "40.00",
        "60.00",
        "60.00",
    ]  # test_self_debug_stats
    assert cells_of(text, "fixed (ran and drew)") == ["fixed (ran and drew)", "-", "1", "1", "0"]
    assert cells_of(text, "extra generation time, s")[1:] == ["2.4", "3.0"]
    assert cells_of(text, "extra input tokens")[1:] == ["-", "-"]
    assert "Error" in text  # the paper's table is still there
    assert "Self-debug" not in render(run_table(build_summary(config(protocol="ppb"), MIXED)))


def test_comparison_of_self_debug_runs_with_different_rounds() -> None:
    def run(run_id: str, rounds: int) -> Summary:
        cfg = debug_config(rounds).model_copy(update={"run_id": run_id})
        return build_summary(cfg, [r.model_copy(update={"run_id": run_id}) for r in ITEMS])

    summaries = [run("three", 3), run("one", 1), run("none", 0)]
    table = self_debug_comparison_table(summaries)
    assert table is not None
    text = render(table)
    assert cells_of(text, "three")[2:] == ["40.00", "40.00", "60.00", "60.00"]
    # rounds 2 and 3 were not run; the run without self-debug has no figures
    assert cells_of(text, "one")[2:] == ["40.00", "40.00", "-", "-"]
    assert cells_of(text, "none")[2:] == ["-"] * 4
    assert self_debug_comparison_table(summaries[2:]) is None
