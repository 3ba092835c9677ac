"""PandasPlotBench items: loaded from the HuggingFace hub or a local copy, then selected.

Sources (`DATASET=`):

- unset: the hub dataset `JetBrains-Research/PandasPlotBench`, split `test`, through
  `datasets.load_dataset`. The hub is probed first with a short timeout, so an unreachable hub
  fails in seconds with a message naming `DATASET=` (the hub client alone retries for ~25 s).
  With `HF_HUB_OFFLINE=1` the probe is skipped and only a copy cached by `datasets` is used.
- a directory in the layout of `../shared/pandasplotbench`: `tasks.jsonl` (one JSON object
  per line: `id`, `task__plot_description`, `task__plot_style`,
  `_task__plot_description_short`, `_task__plot_description_short_single`, and optionally
  `code_plot`, `code_data`, `plots_gt`) plus `data/data-<id>.csv`.
- a `.parquet` or `.jsonl` export of the hub dataset (the hub's columns, `data_csv` inline).

An item that cannot be run is not an error of the whole dataset: a task whose CSV is missing
(id 30 in the offline copy) or a CSV without a task (ids 100-174 there) is listed in
`BenchDataset.skipped` with the reason, which the runner reports. Asking for such an id with
`IDS=` is an error that gives the reason. Malformed data (bad JSON, missing columns, non-int
or duplicate ids, undecodable images) is a `DatasetError` naming the file, line and field.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pydantic import BaseModel, ConfigDict

from orchestrator.bench.errors import RunStopped
from orchestrator.common.pngcheck import InvalidPng, validate_png

HUB_REPO = "JetBrains-Research/PandasPlotBench"
HUB_SPLIT = "test"
LOCAL_COPY_EXAMPLE = "DATASET=../shared/pandasplotbench"
# Same seed as the reference's `--limit=N`: with the hub dataset in hub order, LIMIT=N picks
# the items the reference's `dataset.shuffle(seed=42).select(range(N))` picks.
DEFAULT_SEED = 42
HUB_PROBE_TIMEOUT_S = 5.0

TASKS_FILE = "tasks.jsonl"
CSV_DIR = "data"
TEXT_COLUMNS = {
    "plot_description": "task__plot_description",
    "plot_style": "task__plot_style",
    "short": "_task__plot_description_short",
    "single": "_task__plot_description_short_single",
}
MISSING_CSV = f"no {CSV_DIR}/data-<id>.csv"
MISSING_TASK = f"a CSV in {CSV_DIR}/ but no task in {TASKS_FILE}"
EXPORT_COLUMNS = ("id", "data_csv", *TEXT_COLUMNS.values())


class DatasetError(RunStopped):
    """The dataset cannot be loaded or a selection is invalid; the message says what to do."""


class BenchItem(BaseModel):
    """One benchmark task with its data and, when the source has them, the ground truth."""

    model_config = ConfigDict(frozen=True)

    id: int
    data_csv: bytes
    code_data: str | None = None  # the item's data-loading snippet
    code_plot: str | None = None  # ground-truth plotting code
    plot_description: str
    plot_style: str
    short: str  # the 2-3-sentence plot description
    single: str  # the one-sentence plot description
    reference_images: list[bytes] = []  # ground-truth PNGs


class BenchDataset(BaseModel):
    source: str  # what DATASET= pointed at, or "hub:<repo>"
    items: list[BenchItem]  # sorted by id
    skipped: dict[int, str] = {}  # id -> why the item cannot be run

    def skipped_report(self) -> str | None:
        """One line per reason, ids as ranges: for the run's log."""
        if not self.skipped:
            return None
        by_reason: dict[str, list[int]] = {}
        for item_id, reason in sorted(self.skipped.items()):
            by_reason.setdefault(reason, []).append(item_id)
        lines = [
            f"{len(ids)} item(s) skipped ({reason}): {format_id_ranges(ids)}"
            for reason, ids in by_reason.items()
        ]
        return "\n".join(lines)


def load_bench_dataset(source: str | os.PathLike[str] | None) -> BenchDataset:
    """Loads the hub dataset when `source` is None or empty, else the local copy it names."""
    if source is None or str(source) == "":
        return load_hub()
    path = Path(source)
    if path.is_dir():
        if (path / TASKS_FILE).is_file():
            return load_directory(path)
        raise DatasetError(
            f"DATASET={source} is a directory without {TASKS_FILE}; give a directory in the "
            f"layout of ../shared/pandasplotbench ({TASKS_FILE} + {CSV_DIR}/data-<id>.csv) "
            "or a .parquet/.jsonl export of the hub dataset"
        )
    if path.is_file():
        if path.suffix == ".parquet":
            return load_parquet_export(path)
        if path.suffix == ".jsonl":
            return load_jsonl_export(path)
        raise DatasetError(
            f"DATASET={source}: unknown file type {path.suffix!r}; a file must be a .parquet "
            "or .jsonl export of the hub dataset"
        )
    raise DatasetError(f"DATASET={source} does not exist")


# --- hub ---------------------------------------------------------------------------------


def load_hub(
    repo: str = HUB_REPO,
    split: str = HUB_SPLIT,
    *,
    probe_timeout_s: float = HUB_PROBE_TIMEOUT_S,
) -> BenchDataset:
    # Imported here: huggingface_hub reads HF_ENDPOINT/HF_HUB_OFFLINE at import time, and
    # `datasets` takes seconds to import, so only after the probe; local copies need neither.
    from huggingface_hub import constants

    hint = (
        f"pass a local copy with DATASET=<path> (e.g. {LOCAL_COPY_EXAMPLE}), or set "
        "HF_HUB_OFFLINE=1 to use a copy cached by an earlier run"
    )
    if not constants.HF_HUB_OFFLINE:
        _probe_hub(constants.ENDPOINT, repo, probe_timeout_s, hint)
    import datasets

    try:
        table = datasets.load_dataset(repo, split=split)
    except Exception as exc:  # the hub client raises many types (OSError, HfHubHTTPError, ...)
        raise DatasetError(
            f"could not load {repo} (split {split}) from the hub: {exc}; {hint}"
        ) from exc
    where = f"hub:{repo}"
    missing = [c for c in EXPORT_COLUMNS if c not in table.column_names]
    if missing:
        raise DatasetError(f"{where} lacks the column(s) {', '.join(missing)}")
    return _dataset_from_rows(where, ((f"{where} row {n}", row) for n, row in enumerate(table)))


def _probe_hub(endpoint: str, repo: str, timeout_s: float, hint: str) -> None:
    """Any HTTP answer means reachable; status codes are left to `datasets` to interpret."""
    url = f"{endpoint}/api/datasets/{repo}"
    try:
        with httpx.Client(timeout=timeout_s) as client:
            client.head(url)
    except httpx.TransportError as exc:
        raise DatasetError(
            f"the HuggingFace hub is unreachable ({endpoint}: {exc or type(exc).__name__}); {hint}"
        ) from exc


# --- local copies ------------------------------------------------------------------------


def load_directory(root: Path) -> BenchDataset:
    """The layout of ../shared/pandasplotbench: tasks.jsonl + data/data-<id>.csv."""
    tasks_path = root / TASKS_FILE
    items: list[BenchItem] = []
    skipped: dict[int, str] = {}
    seen: set[int] = set()
    for where, row in _jsonl_rows(tasks_path):
        _require_columns(where, row, list(TEXT_COLUMNS.values()))
        item_id = _item_id(where, row)
        _reject_duplicate(where, item_id, seen)
        csv_path = root / CSV_DIR / f"data-{item_id}.csv"
        if not csv_path.is_file():
            skipped[item_id] = MISSING_CSV
            continue
        items.append(_item(where, row, item_id, csv_path.read_bytes()))
    for csv_path in (root / CSV_DIR).glob("data-*.csv"):
        csv_id = csv_path.stem.removeprefix("data-")
        if csv_id.isdigit() and int(csv_id) not in seen:
            skipped[int(csv_id)] = MISSING_TASK
    return _dataset(str(root), items, skipped)


def load_jsonl_export(path: Path) -> BenchDataset:
    return _dataset_from_rows(str(path), _jsonl_rows(path))


def load_parquet_export(path: Path) -> BenchDataset:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{path} is not a readable parquet file: {exc}") from exc
    missing = [c for c in EXPORT_COLUMNS if c not in table.column_names]
    if missing:
        raise DatasetError(
            f"{path} lacks the column(s) {', '.join(missing)}; an export needs "
            f"{', '.join(EXPORT_COLUMNS)}"
        )
    rows = table.to_pylist()
    return _dataset_from_rows(str(path), ((f"{path} row {n}", row) for n, row in enumerate(rows)))


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from exc
        if not isinstance(row, dict):
            raise DatasetError(f"{where}: expected a JSON object, got {type(row).__name__}")
        yield where, row


def _dataset_from_rows(source: str, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> BenchDataset:
    """Rows of a hub export: every text column and `data_csv` inline."""
    items: list[BenchItem] = []
    seen: set[int] = set()
    for where, row in rows:
        _require_columns(where, row, EXPORT_COLUMNS)
        item_id = _item_id(where, row)
        _reject_duplicate(where, item_id, seen)
        csv = row["data_csv"]
        if not isinstance(csv, str):
            raise DatasetError(f"{where}: data_csv must be a string, got {type(csv).__name__}")
        items.append(_item(where, row, item_id, csv.encode("utf-8")))
    return _dataset(source, items, {})


def _dataset(source: str, items: list[BenchItem], skipped: dict[int, str]) -> BenchDataset:
    if not items:
        details = BenchDataset(source=source, items=[], skipped=skipped).skipped_report()
        raise DatasetError(
            f"{source} holds no runnable item" + (f":\n{details}" if details else "")
        )
    return BenchDataset(source=source, items=sorted(items, key=lambda i: i.id), skipped=skipped)


# --- one row -----------------------------------------------------------------------------


def _require_columns(where: str, row: Mapping[str, Any], columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in row]
    if missing:
        raise DatasetError(f"{where}: missing field(s) {', '.join(missing)}")


def _item_id(where: str, row: Mapping[str, Any]) -> int:
    value = row.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise DatasetError(f"{where}: id must be an integer, got {value!r}")
    if value < 0:
        raise DatasetError(f"{where}: id must not be negative, got {value}")
    return value


def _reject_duplicate(where: str, item_id: int, seen: set[int]) -> None:
    if item_id in seen:
        raise DatasetError(f"{where}: id {item_id} appears twice")
    seen.add(item_id)


def _item(where: str, row: Mapping[str, Any], item_id: int, data_csv: bytes) -> BenchItem:
    texts: dict[str, str] = {}
    for field, column in TEXT_COLUMNS.items():
        value = row[column]
        if not isinstance(value, str):
            raise DatasetError(f"{where}: {column} must be a string, got {type(value).__name__}")
        texts[field] = value
    code: dict[str, str | None] = {}
    for column in ("code_plot", "code_data"):
        value = row.get(column)
        if value is not None and not isinstance(value, str):
            raise DatasetError(f"{where}: {column} must be a string, got {type(value).__name__}")
        code[column] = value
    return BenchItem(
        id=item_id,
        data_csv=data_csv,
        code_plot=code["code_plot"],
        code_data=code["code_data"],
        reference_images=_reference_images(where, row.get("plots_gt")),
        **texts,
    )


def _reference_images(where: str, plots: Any) -> list[bytes]:
    if plots is None:
        return []
    if not isinstance(plots, list):
        raise DatasetError(
            f"{where}: plots_gt must be a list of base64 PNG strings, got {type(plots).__name__}"
        )
    images = []
    for number, encoded in enumerate(plots):
        if not isinstance(encoded, str):
            raise DatasetError(f"{where}: plots_gt[{number}] must be a base64 string")
        try:
            image = base64.b64decode(encoded, validate=True)
            validate_png(image)
        except (binascii.Error, ValueError, InvalidPng) as exc:
            raise DatasetError(f"{where}: plots_gt[{number}] is not a base64 PNG: {exc}") from exc
        images.append(image)
    return images


# --- selection ---------------------------------------------------------------------------


def parse_ids(text: str) -> list[int]:
    """`IDS=1,5,7` -> [1, 5, 7]; spaces are allowed, anything else is an error."""
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise DatasetError(f"IDS={text}: {part!r} is not an item id; write e.g. IDS=1,5,7")
        ids.append(int(part))
    if len(set(ids)) != len(ids):
        raise DatasetError(f"IDS={text} names an id twice")
    return ids


def select_items(
    dataset: BenchDataset,
    *,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
    seed: int = DEFAULT_SEED,
) -> list[BenchItem]:
    """IDS= picks items by id; LIMIT= then draws a seeded random sample of what is left.

    The sample is the first `limit` positions of `numpy.random.default_rng(seed).permutation`
    over the candidates in id order (what `datasets.Dataset.shuffle(seed)` does), returned
    sorted by id. Asking for more items than there are is an error, not a silent cap.
    """
    candidates = dataset.items
    if ids is not None:
        by_id = {item.id: item for item in dataset.items}
        unrunnable = [i for i in ids if i in dataset.skipped]
        if unrunnable:
            reasons = "; ".join(f"{i}: {dataset.skipped[i]}" for i in unrunnable)
            raise DatasetError(f"IDS names item(s) that cannot be run: {reasons}")
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise DatasetError(
                f"IDS names unknown item id(s) {format_id_ranges(unknown)}; {dataset.source} "
                f"has ids {format_id_ranges(sorted(by_id))}"
            )
        candidates = sorted((by_id[i] for i in ids), key=lambda item: item.id)
    if limit is None:
        return list(candidates)
    if limit < 1:
        raise DatasetError(f"LIMIT={limit}: give a positive number of items")
    if limit > len(candidates):
        raise DatasetError(
            f"LIMIT={limit} but only {len(candidates)} item(s) can be run; lower LIMIT or "
            "leave it unset to run them all"
        )
    order = np.random.default_rng(seed).permutation(len(candidates))[:limit]
    return sorted((candidates[int(i)] for i in order), key=lambda item: item.id)


def format_id_ranges(ids: Iterable[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8"."""
    ranges: list[list[int]] = []
    for item_id in sorted(set(ids)):
        if ranges and ranges[-1][1] == item_id - 1:
            ranges[-1][1] = item_id
        else:
            ranges.append([item_id, item_id])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)
