"""The `compare` command: several finished runs side by side (the paper's Tables I-III).

Runs whose protocol, instruction texts (sha256) or dataset differ measure different things:
they are refused unless `--allow-mixed` is given, which lists the differences above the
table. Runs stored before the instructions and the dataset's fingerprint were recorded
count as unknown there: unknown beside a known value is a difference; unknown in every run
is only noted. Runs with self-debug get a second table of their pass rates per round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from orchestrator.bench.progress import output_console
from orchestrator.bench.records import RunConfig
from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import UsageError
from orchestrator.bench.stats.figure_metrics_tables import figure_metrics_comparison_table
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.self_debug_tables import self_debug_comparison_table
from orchestrator.bench.stats.tables import comparison_table

UNKNOWN = "unknown (stored before this was recorded)"


def _instructions(config: RunConfig) -> str | None:
    info = config.instructs
    return None if info is None else f"{info.name} (sha256 {info.sha256[:12]})"


def _dataset(config: RunConfig) -> str | None:
    return None if config.provenance is None else config.provenance.dataset


# What must match, and how a run's value is shown; None: the run does not record it.
CHECKED: tuple[tuple[str, Callable[[RunConfig], str | None]], ...] = (
    ("protocol", lambda config: config.protocol),
    ("instructions", _instructions),
    ("dataset", _dataset),
)


def compare(run_dirs: Sequence[Path], *, allow_mixed: bool = False) -> None:
    summaries = load_summaries(run_dirs)
    differences, unknown = check_comparable(summaries)
    if differences and not allow_mixed:
        raise UsageError(
            "these runs measure different things, so they are not put side by side:\n"
            + "\n".join(differences)
            + "\nto compare them anyway, pass --allow-mixed (make compare ALLOW_MIXED=1), "
            "which lists these differences above the table"
        )
    console = output_console()
    for line in (*differences, *unknown):
        console.print(line, style="yellow", markup=False, highlight=False)
    console.print(comparison_table(summaries))
    for table in (
        figure_metrics_comparison_table(summaries),
        self_debug_comparison_table(summaries),
    ):
        if table is not None:
            console.print(table)


def check_comparable(summaries: Sequence[Summary]) -> tuple[list[str], list[str]]:
    """(the checked settings that differ, those no run records), one line each."""
    differences: list[str] = []
    unknown: list[str] = []
    for name, value_of in CHECKED:
        values = [(s.run_id, value_of(s.config)) for s in summaries]
        distinct = {value for _, value in values}
        if distinct == {None}:
            unknown.append(f"{name}: {UNKNOWN} in every run, so not checked")
        elif len(distinct) > 1:
            runs = ", ".join(f"{run}: {value or UNKNOWN}" for run, value in values)
            differences.append(f"{name} differs: {runs}")
    return differences, unknown


def load_summaries(run_dirs: Sequence[Path]) -> list[Summary]:
    summaries = []
    for run_dir in run_dirs:
        store = ResultsStore(run_dir)
        if not store.summary_path.exists():
            raise UsageError(f"{store.summary_path} is missing; run `stats {run_dir}` first")
        summaries.append(Summary.model_validate_json(store.summary_path.read_text()))
    return summaries
