"""results/<run-id>/: items.jsonl appended one record at a time, plus config and summary.

Appends are flushed and fsynced per record, so a killed run loses at most the item it was
writing; a torn last line is dropped on the next load. Resuming compacts the file to the
finished records (`done`, and `failed` unless failed items are to be retried), so after a
resume each item appears exactly once. `rejudge` appends each item it has judged again to
rejudged.jsonl the same way, and merges that into items.jsonl once every item is done.
With self-debug, each failed attempt that gets another round is appended to
attempts.jsonl the same way; a resume reads the attempts of unfinished items from it (and
drops the others), so it goes on from the round after the last one filed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from orchestrator.bench.errors import RunStopped
from orchestrator.bench.records import Attempt, ItemOutcome, ItemRecord, JournaledAttempt, RunConfig
from orchestrator.bench.stats.models import Summary

log = logging.getLogger(__name__)

Line = TypeVar("Line", bound=BaseModel)
ItemKey = tuple[int, int]  # (repeat, item id)


class ResultsError(RunStopped):
    """Stored results cannot be used; the message says which file and line."""


class ResultsStore:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.items_path = run_dir / "items.jsonl"
        self.config_path = run_dir / "config.json"
        self.summary_path = run_dir / "summary.json"
        self.report_path = run_dir / "report.html"
        self.rejudged_path = run_dir / "rejudged.jsonl"
        self.attempts_path = run_dir / "attempts.jsonl"
        self._lock = asyncio.Lock()

    def load(self) -> list[ItemRecord]:
        """Every complete record, in file order; a torn final line is ignored."""
        return self._load(self.items_path, ItemRecord)

    def load_rejudged(self) -> dict[ItemKey, ItemRecord]:
        """(repeat, item id) -> the record an unfinished rejudge has judged again."""
        return {(r.repeat, r.item_id): r for r in self._load(self.rejudged_path, ItemRecord)}

    def _load(self, path: Path, kind: type[Line]) -> list[Line]:
        if not path.exists():
            return []
        records: list[Line] = []
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(kind.model_validate_json(line))
            except ValidationError as exc:
                if number == len(lines):
                    log.warning("%s: dropping a torn last line", path)
                    continue
                what = "an item record" if kind is ItemRecord else "a filed attempt"
                raise ResultsError(f"{path}:{number} is not {what}: {exc}") from exc
        return records

    def compact_attempts(self, keep: Callable[[ItemKey], bool]) -> dict[ItemKey, list[Attempt]]:
        """The filed attempts of the items `keep` accepts, rounds 0, 1, ... in order (a round
        filed twice keeps its last copy; rounds after a gap are dropped); attempts.jsonl is
        rewritten to hold just those."""
        filed: dict[ItemKey, dict[int, JournaledAttempt]] = {}
        for line in self._load(self.attempts_path, JournaledAttempt):
            key = (line.repeat, line.item_id)
            if keep(key):
                filed.setdefault(key, {})[line.attempt.round] = line
        kept: dict[ItemKey, list[JournaledAttempt]] = {}
        for key, rounds in filed.items():
            run = kept[key] = []
            while len(run) in rounds:
                run.append(rounds[len(run)])
        if self.attempts_path.exists():
            self._rewrite(self.attempts_path, [line for run in kept.values() for line in run])
        return {key: [line.attempt for line in run] for key, run in kept.items()}

    def finished(self, *, retry_failed: bool = False) -> dict[tuple[int, int], ItemRecord]:
        """(repeat, item id) -> the last record that a resume does not retry."""
        kept = {ItemOutcome.DONE} if retry_failed else {ItemOutcome.DONE, ItemOutcome.FAILED}
        done: dict[tuple[int, int], ItemRecord] = {}
        for record in self.load():
            key = (record.repeat, record.item_id)
            if record.outcome in kept:
                done[key] = record
            else:
                done.pop(key, None)
        return done

    def compact(self, *, retry_failed: bool = False) -> dict[tuple[int, int], ItemRecord]:
        """Rewrites items.jsonl with only the finished records; returns them."""
        done = self.finished(retry_failed=retry_failed)
        self.rewrite(list(done.values()))
        return done

    def rewrite(self, records: list[ItemRecord]) -> None:
        self._rewrite(self.items_path, records)

    def _rewrite(self, path: Path, lines: list[Line]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for line in lines:
                out.write(line.model_dump_json() + "\n")
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)

    async def append(self, record: ItemRecord) -> None:
        await self._append(self.items_path, record)

    async def append_attempt(self, repeat: int, item_id: int, attempt: Attempt) -> None:
        await self._append(
            self.attempts_path, JournaledAttempt(repeat=repeat, item_id=item_id, attempt=attempt)
        )

    async def append_rejudged(self, record: ItemRecord) -> None:
        await self._append(self.rejudged_path, record)

    def merge_rejudged(self, records: list[ItemRecord]) -> None:
        """items.jsonl becomes `records`; the finished rejudge's journal goes."""
        self.rewrite(records)
        self.rejudged_path.unlink(missing_ok=True)

    async def _append(self, path: Path, record: BaseModel) -> None:
        line = record.model_dump_json() + "\n"
        async with self._lock:
            await asyncio.to_thread(self._append_line, path, line)

    def _append_line(self, path: Path, line: str) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
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
