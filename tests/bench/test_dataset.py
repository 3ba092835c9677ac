from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.bench.data.dataset import (
    MISSING_CSV,
    MISSING_TASK,
    BenchDataset,
    BenchItem,
    DatasetError,
    format_id_ranges,
    load_bench_dataset,
    parse_ids,
    select_items,
)
from orchestrator.common.pngcheck import PNG_SIGNATURE
from tests.support.paths import FIXTURES

MINI = FIXTURES / "ppb_mini"


def test_shared_copy_loads_with_id_30_skipped(shared_copy: Path) -> None:
    dataset = load_bench_dataset(shared_copy)
    ids = [item.id for item in dataset.items]
    assert ids == [i for i in range(100) if i != 30]
    assert dataset.skipped[30] == MISSING_CSV
    assert all(dataset.skipped[i] == MISSING_TASK for i in range(100, 175))
    report = dataset.skipped_report()
    assert report is not None
    assert f"1 item(s) skipped ({MISSING_CSV}): 30" in report
    assert f"75 item(s) skipped ({MISSING_TASK}): 100-174" in report
    item = next(i for i in dataset.items if i.id == 1)
    assert item.data_csv == (shared_copy / "data" / "data-1.csv").read_bytes()
    assert item.plot_description.startswith(" Plot Description:")
    assert item.code_plot is None and item.code_data is None and item.reference_images == []


def test_asking_for_an_unrunnable_item_says_why(shared_copy: Path) -> None:
    dataset = load_bench_dataset(shared_copy)
    with pytest.raises(DatasetError, match=r"cannot be run: 30: no data/data-<id>\.csv"):
        select_items(dataset, ids=[1, 30])
    with pytest.raises(DatasetError, match=r"120: a CSV in data/ but no task"):
        select_items(dataset, ids=[120])


def test_fixture_directory_with_ground_truth() -> None:
    dataset = load_bench_dataset(MINI)
    assert [item.id for item in dataset.items] == [3, 7]
    assert dataset.skipped == {12: MISSING_CSV, 20: MISSING_TASK}
    with_truth, without = dataset.items
    assert with_truth.code_plot is not None and "ax.bar" in with_truth.code_plot
    assert with_truth.code_data is not None and "read_csv" in with_truth.code_data
    assert len(with_truth.reference_images) == 1
    assert with_truth.reference_images[0].startswith(PNG_SIGNATURE)
    assert with_truth.data_csv == b"month,sales\nJan,3\nFeb,5\nMar,4\n"
    assert with_truth.short == "Plot Description: A bar chart of monthly sales."
    assert with_truth.single == "Plot Description: Monthly sales as bars."
    assert without.reference_images == [] and without.code_plot is None


@pytest.mark.parametrize("export", ["ppb_export.jsonl", "ppb_export.parquet"])
def test_exports_load_like_the_directory(export: str) -> None:
    dataset = load_bench_dataset(FIXTURES / export)
    directory = load_bench_dataset(MINI)
    assert dataset.items == directory.items
    assert dataset.skipped == {}


# --- bad input ---------------------------------------------------------------------------


def _task(item_id: Any = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "task__plot_description": "d",
        "task__plot_style": "s",
        "_task__plot_description_short": "sh",
        "_task__plot_description_short_single": "si",
        **extra,
    }


def _directory(tmp_path: Path, lines: list[str], csv_ids: tuple[int, ...] = (1, 2)) -> Path:
    (tmp_path / "data").mkdir()
    for item_id in csv_ids:
        (tmp_path / "data" / f"data-{item_id}.csv").write_text("a\n1\n")
    (tmp_path / "tasks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1)), '{"id": 2,'])
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:2: not valid JSON"):
        load_bench_dataset(root)


def test_blank_lines_are_allowed(tmp_path: Path) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1)), "", json.dumps(_task(2))])
    assert [i.id for i in load_bench_dataset(root).items] == [1, 2]


@pytest.mark.parametrize("bad_id", ["1", 1.0, True, None, -1])
def test_non_integer_ids_are_refused(tmp_path: Path, bad_id: Any) -> None:
    root = _directory(tmp_path, [json.dumps(_task(bad_id))])
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:1: id must"):
        load_bench_dataset(root)


def test_missing_field_is_named(tmp_path: Path) -> None:
    task = _task(1)
    del task["task__plot_style"]
    root = _directory(tmp_path, [json.dumps(task)])
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:1: missing field\(s\) task__plot_style"):
        load_bench_dataset(root)


def test_duplicate_id(tmp_path: Path) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1)), json.dumps(_task(1))])
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:2: id 1 appears twice"):
        load_bench_dataset(root)


def test_non_object_line(tmp_path: Path) -> None:
    root = _directory(tmp_path, ["[1, 2]"])
    with pytest.raises(DatasetError, match="expected a JSON object, got list"):
        load_bench_dataset(root)


@pytest.mark.parametrize(
    ("plots", "message"),
    [
        (["not base64!"], r"plots_gt\[0\] is not a base64 PNG"),
        ([base64.b64encode(b"GIF89a...").decode()], r"plots_gt\[0\] is not a base64 PNG"),
        ("abc", "plots_gt must be a list"),
        ([3], r"plots_gt\[0\] must be a base64 string"),
    ],
)
def test_undecodable_images(tmp_path: Path, plots: Any, message: str) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1, plots_gt=plots))])
    with pytest.raises(DatasetError, match=message):
        load_bench_dataset(root)


def test_non_string_text(tmp_path: Path) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1, task__plot_style=5))])
    with pytest.raises(DatasetError, match="task__plot_style must be a string"):
        load_bench_dataset(root)


def test_directory_without_any_csv(tmp_path: Path) -> None:
    root = _directory(tmp_path, [json.dumps(_task(1))], csv_ids=())
    with pytest.raises(DatasetError, match=r"holds no runnable item:\n1 item\(s\) skipped"):
        load_bench_dataset(root)


def test_export_missing_column(tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps(_task(1)) + "\n")  # no data_csv
    with pytest.raises(DatasetError, match=r"export\.jsonl:1: missing field\(s\) data_csv"):
        load_bench_dataset(export)


def test_parquet_missing_column(tmp_path: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    export = tmp_path / "export.parquet"
    pq.write_table(pa.Table.from_pylist([_task(1)]), export)
    with pytest.raises(DatasetError, match=r"lacks the column\(s\) data_csv"):
        load_bench_dataset(export)


def test_parquet_that_is_not_parquet(tmp_path: Path) -> None:
    export = tmp_path / "export.parquet"
    export.write_text("hello")
    with pytest.raises(DatasetError, match="not a readable parquet file"):
        load_bench_dataset(export)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "does not exist"),
        ("notes.txt", "unknown file type '.txt'"),
        ("empty_dir", "directory without tasks.jsonl"),
    ],
)
def test_bad_dataset_paths(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DatasetError, match=message):
        load_bench_dataset(tmp_path / name)


# --- selection ---------------------------------------------------------------------------


@pytest.fixture
def hundred() -> BenchDataset:
    items = [
        BenchItem(
            id=i, data_csv=b"a\n1\n", plot_description="d", plot_style="s", short="", single=""
        )
        for i in range(100)
    ]
    return BenchDataset(source="test", items=items, skipped={})


def test_limit_matches_the_reference_shuffle(hundred: BenchDataset) -> None:
    # datasets' Dataset.shuffle(seed=42).select(range(5)) over 100 rows picks these rows
    # (numpy.random.default_rng(42).permutation(100)[:5]).
    import numpy as np

    expected = sorted(int(i) for i in np.random.default_rng(42).permutation(100)[:5])
    chosen = select_items(hundred, limit=5)
    assert [item.id for item in chosen] == expected
    assert select_items(hundred, limit=5) == chosen  # seeded: the same every time
    assert [i.id for i in select_items(hundred, limit=5, seed=7)] != expected


def test_ids_then_limit(hundred: BenchDataset) -> None:
    assert [i.id for i in select_items(hundred, ids=[7, 5, 1])] == [1, 5, 7]
    assert len(select_items(hundred, ids=[7, 5, 1], limit=2)) == 2


def test_selection_errors(hundred: BenchDataset) -> None:
    with pytest.raises(DatasetError, match=r"unknown item id\(s\) 100, 205; test has ids 0-99"):
        select_items(hundred, ids=[1, 100, 205])
    with pytest.raises(DatasetError, match="LIMIT=0"):
        select_items(hundred, limit=0)
    with pytest.raises(DatasetError, match="LIMIT=101 but only 100"):
        select_items(hundred, limit=101)


def test_parse_ids() -> None:
    assert parse_ids("1,5,7") == [1, 5, 7]
    assert parse_ids(" 1, 5 ") == [1, 5]
    with pytest.raises(DatasetError, match="'x' is not an item id"):
        parse_ids("1,x")
    with pytest.raises(DatasetError, match="'' is not an item id"):
        parse_ids("1,,2")
    with pytest.raises(DatasetError, match="names an id twice"):
        parse_ids("1,1")


def test_format_id_ranges() -> None:
    assert format_id_ranges([8, 0, 1, 2, 5, 7]) == "0-2, 5, 7-8"
    assert format_id_ranges([]) == ""
