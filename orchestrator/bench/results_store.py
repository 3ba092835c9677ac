"""results/<run-id>/: items.jsonl appended one record at a time, plus config and summary.

Appends are flushed and fsynced per record, so a killed run loses at most the item it was
writing; a torn last line is dropped on the next load. Resuming compacts the file to the
finished records, so after a resume each item appears exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

from pydantic import ValidationError

from orchestrator.bench.records import ItemOutcome, ItemRecord, RunConfig
from orchestrator.bench.stats.models import Summary

log = logging.getLogger(__name__)


class ResultsError(Exception):
    """Stored results cannot be used; the message says which file and line."""


class ResultsStore:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.items_path = run_dir / "items.jsonl"
        self.config_path = run_dir / "config.json"
        self.summary_path = run_dir / "summary.json"
        self.report_path = run_dir / "report.html"
        self._lock = asyncio.Lock()

    def load(self) -> list[ItemRecord]:
        """Every complete record, in file order; a torn final line is ignored."""
        if not self.items_path.exists():
            return []
        records: list[ItemRecord] = []
        lines = self.items_path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(ItemRecord.model_validate_json(line))
            except ValidationError as exc:
                if number == len(lines):
                    log.warning("%s: dropping a torn last line", self.items_path)
                    continue
                raise ResultsError(
                    f"{self.items_path}:{number} is not an item record: {exc}"
                ) from exc
        return records

    def finished(self) -> dict[tuple[int, int], ItemRecord]:
        """(repeat, item id) -> the last record whose outcome is done."""
        done: dict[tuple[int, int], ItemRecord] = {}
        for record in self.load():
            key = (record.repeat, record.item_id)
            if record.outcome == ItemOutcome.DONE:
                done[key] = record
            else:
                done.pop(key, None)
        return done

    def compact(self) -> dict[tuple[int, int], ItemRecord]:
        """Rewrites items.jsonl with only the finished records; returns them."""
        done = self.finished()
        self.rewrite(list(done.values()))
        return done

    def rewrite(self, records: list[ItemRecord]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.items_path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(record.model_dump_json() + "\n")
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(self.items_path)

    async def append(self, record: ItemRecord) -> None:
        line = record.model_dump_json() + "\n"
        async with self._lock:
            await asyncio.to_thread(self._append_line, line)

    def _append_line(self, line: str) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.items_path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    def write_config(self, config: RunConfig) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")

    def read_config(self) -> RunConfig:
        try:
            return RunConfig.model_validate_json(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ResultsError(f"{self.config_path} is missing: is this a run directory?") from None
        except (ValidationError, json.JSONDecodeError) as exc:
            raise ResultsError(f"{self.config_path} is not a run config: {exc}") from exc

    def write_summary(self, summary: Summary) -> None:
        self.summary_path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
