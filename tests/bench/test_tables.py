from __future__ import annotations

from rich.console import Console, RenderableType

from orchestrator.bench.stats.summary import build_summary
from orchestrator.bench.stats.tables import comparison_table, run_table
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
