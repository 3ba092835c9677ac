"""The `compare` command: several finished runs side by side (the paper's Tables I-III)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from orchestrator.bench.results_store import ResultsStore
from orchestrator.bench.settings import UsageError
from orchestrator.bench.stats.models import Summary
from orchestrator.bench.stats.tables import comparison_table


def compare(run_dirs: Sequence[Path]) -> None:
    Console().print(comparison_table(load_summaries(run_dirs)))


def load_summaries(run_dirs: Sequence[Path]) -> list[Summary]:
    summaries = []
    for run_dir in run_dirs:
        store = ResultsStore(run_dir)
        if not store.summary_path.exists():
            raise UsageError(f"{store.summary_path} is missing; run `stats {run_dir}` first")
        summaries.append(Summary.model_validate_json(store.summary_path.read_text()))
    return summaries
