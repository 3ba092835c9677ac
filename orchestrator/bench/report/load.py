"""Reading one run's stored results: config.json, summary.json and items.jsonl."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from orchestrator.bench.records import ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.report.errors import InvalidResults, MissingResults
from orchestrator.bench.results_store import ResultsError, ResultsStore
from orchestrator.bench.stats.items import ScoreKind, final_records, item_score
from orchestrator.bench.stats.models import Summary


def is_done(record: ItemRecord) -> bool:
    return record.outcome is ItemOutcome.DONE


@dataclass(frozen=True)
class RunResults:
    run_dir: Path
    config: RunConfig
    summary: Summary | None  # None: summary.json has not been written (yet)
    records: list[ItemRecord]  # the last record of each (item, repeat), by item id and repeat
    superseded: int  # earlier records of an (item, repeat) replaced by a later line

    @property
    def judged(self) -> bool:
        return self.config.judge is not None

    def scores(self, kind: ScoreKind) -> list[int]:
        """The scores that count in the statistics, by the rules of orchestrator.bench.stats."""
        states = [item_score(r, kind, judged=self.judged) for r in self.records if is_done(r)]
        return [s.value for s in states if s.state == "scored" and s.value is not None]


def _read_summary(path: Path) -> Summary | None:
    if not path.is_file():
        return None
    try:
        return Summary.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise InvalidResults(f"{path} is not a valid Summary: {exc}") from exc


def load_run(run_dir: Path) -> RunResults:
    """Reads one run's stored results; raises ReportError saying what is missing or wrong."""
    if not run_dir.is_dir():
        raise MissingResults(f"{run_dir} is not a directory: give a run's folder, results/<run-id>")
    store = ResultsStore(run_dir)
    if not store.items_path.is_file():
        raise MissingResults(
            f"{store.items_path} is missing: {run_dir} is not a benchmark run folder, or its "
            "run stopped before finishing any item"
        )
    try:
        config = store.read_config()
        stored = store.load()
    except ResultsError as exc:
        raise InvalidResults(f"{exc} (fix or delete it, then rebuild the report)") from exc
    summary = _read_summary(store.summary_path)
    if summary is not None and summary.run_id != config.run_id:
        raise InvalidResults(
            f"{store.summary_path} belongs to run {summary.run_id!r} but config.json to "
            f"{config.run_id!r}: the folder mixes two runs"
        )
    records = sorted(final_records(stored), key=lambda r: (r.item_id, r.repeat))
    return RunResults(run_dir, config, summary, records, len(stored) - len(records))
