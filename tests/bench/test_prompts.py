"""Prompt assembly, checked against the reference protocol with the upstream instructs.

The reference is JetBrains-Research/PandasPlotBench (Apache-2.0): the user prompt is built
by `CodePlotGenerator.generate_plotting_request` (plotting_benchmark/code_plot_generator.py)
from a dataset row whose `task__*` fields, in column order, are the hub's plot description
and plot style followed by the setup and data description that `TaskChanger`
(plotting_benchmark/task_changer.py) adds; `PlottingBenchmark.__init__`
(plotting_benchmark/benchmark.py) makes the setup text. `reference_user_prompt` below
restates that procedure step by step, independently of orchestrator.bench.prompts, and one
prompt is pinned character for character.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from orchestrator.bench.data.dataset import BenchItem, load_bench_dataset
from orchestrator.bench.data.descriptors import DescriptorError, check_descriptor
from orchestrator.bench.instructs import (
    DEFAULT_INSTRUCTS,
    Instructs,
    InstructsError,
    load_instructs,
)
from orchestrator.bench.prompts import (
    GENERIC_TASK,
    PromptError,
    build_prompt,
    check_library,
    check_task_variant,
    data_part,
    judge_task_text,
    task_text,
    user_prompt,
)
from orchestrator.bench.records import TaskVariant
from orchestrator.executor.api import Library

LIBRARIES: tuple[Library, ...] = ("matplotlib", "seaborn", "plotly")


def reference_head(df: pd.DataFrame) -> str:
    types = ", ".join(f"{c}: {df[c].dtype}" for c in df.columns)
    return (
        f"DataFrame with {len(df.columns)} columns and {len(df)} rows\n"
        f"Column names and types: {types}\nHead:\n{df.head().to_json()}"
    )


def reference_user_prompt(
    instructs: dict[str, str], row: dict[str, Any], library: str, descriptor_text: str
) -> str:
    setup = instructs["setup_instruct"].replace("[PLOTLIB]", library)
    if "matplotlib" not in library and "seaborn" not in library:
        setup = setup + "DO NOT use matplotlib for plotting. Only " + library + " library. "
    if "matplotlib" in library:
        setup = setup + "DO NOT use seaborn for plotting. Only pure matplotlib. "
    data = instructs["data_instruct"] + "\n" + descriptor_text
    fields = dict(row)
    fields["task__setup"] = setup
    fields["task__data_description"] = data[:4000]
    lines = [instructs["plot_instruct"]]
    for key, value in fields.items():
        if key.startswith("task__") and value.lstrip():
            lines.append(f"{len(lines)}. {value.lstrip()}")
    return ("\n".join(lines) + "\n").replace("\n\n", "\n")


def hub_row(task: dict[str, Any], description: str, style: str) -> dict[str, Any]:
    """A row with the hub's column order (id, code_plot, code_data, data_csv, task__...)."""
    return {
        "id": task["id"],
        "code_plot": "",
        "code_data": "",
        "data_csv": "",
        "task__plot_description": description,
        "task__plot_style": style,
        "plots_gt": [],
        "_task__plot_description_short": task["_task__plot_description_short"],
        "_task__plot_description_short_single": task["_task__plot_description_short_single"],
    }


@pytest.fixture
def upstream(shared_copy: Path) -> Instructs:
    return load_instructs(shared_copy / "upstream_instructs.json")


def test_pinned_upstream_prompt_for_item_18(shared_copy: Path, upstream: Instructs) -> None:
    (item,) = [i for i in load_bench_dataset(shared_copy).items if i.id == 18]
    prompt = build_prompt(
        item, instructs=upstream, library="matplotlib", descriptor="head", variant="full"
    )
    assert prompt.system == (
        "You are a helpful programming assistant proficient in python, matplotlib and pandas "
        "dataframes. All blocks of the python code must be enclosed in a block ```python\n SOME "
        "CODE```. Example for printing \"hello world\": ```python\n print('hello world')\n```"
    )
    assert prompt.user == (
        "Write a code to build a plot of dataframe according to following instructions. Write "
        "a code that returns plot, not just function declaration.\n"
        'Load df dataframe by single line ```df = pd.read_csv("data.csv")```. DO NOT alter df '
        "dataframe columns or add columns. This df dataframe should remain intact.\n"
        "Do not write explanations. Just a code enclosed in codeblock. Important reasoning "
        "write in comments to the code.\n"
        "Make sure that all used libraries and functions are imported.\n"
        "Use only visualization libraries listed in the setup section, do not use others.\n"
        "1. Plot Description: The task requires creating a line plot using the values from the "
        "DataFrame. The x-axis should use index values from the DataFrame, and the y-axis "
        "should plot corresponding 'Y' values. Enhance the plot with customized axes by adding "
        "an additional y-axis on the right side that is offset from the primary y-axis. Remove "
        "visibility of the top and right borders of the plot to keep it clean. Additionally, "
        "ensure the primary x-axis (xzero axis) is highlighted to pass through y=0, indicating "
        "it as a significant reference line.\n"
        "2. Plot Style Description: The plot should prominently feature labels for both Y axes "
        'and the X axis. The right Y axis (labeled as "Label Y2") should be visibly offset from '
        "the primary frame to distinguish its measurements. Configure the visibility and labels "
        "of axes to ensure clarity in data representation. The plot should also include custom "
        "limits for the y-axis to adequately encase the data range and improve readability.\n"
        "3. Setup. Use Python programming language. Import essential libraries. The essential "
        "libraries needed are pandas for managing dataframes and matplotlib with its subsidiary "
        "libraries for plotting. Ensure importing numpy as np and scipy if they are used in "
        "program. DO NOT use or import other visualization libraries. Use latest, not "
        "deprecated modules and packages.DO NOT use seaborn for plotting. Only pure matplotlib. \n"
        '4. Data description. Load df dataframe by single line ```df = pd.read_csv("data.csv")'
        "```, DO NOT create it or load. The metadata of the dataframe is following:\n"
        "DataFrame with 1 columns and 3 rows\n"
        "Column names and types: Y: int64\n"
        "Head:\n"
        '{"Y":{"0":-2,"1":3,"2":2}}\n'
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_every_item_matches_the_reference_protocol(
    shared_copy: Path, upstream: Instructs, library: Library
) -> None:
    instructs = json.loads((shared_copy / "upstream_instructs.json").read_text(encoding="utf-8"))
    tasks = {
        task["id"]: task
        for task in map(json.loads, (shared_copy / "tasks.jsonl").read_text("utf-8").splitlines())
    }
    dataset = load_bench_dataset(shared_copy)
    assert len(dataset.items) == 99
    for item in dataset.items:
        task = tasks[item.id]
        df = pd.read_csv(io.StringIO(item.data_csv.decode("utf-8")))
        row = hub_row(task, task["task__plot_description"], task["task__plot_style"])
        expected = reference_user_prompt(instructs, row, library, reference_head(df))
        got = user_prompt(
            item, instructs=upstream, library=library, descriptor="head", variant="full"
        )
        assert got == expected, f"item {item.id}"


def test_variants_and_descriptors_match_the_reference_protocol(
    shared_copy: Path, upstream: Instructs
) -> None:
    """The short variants replace the description and empty the style, as the paper's
    compressed-task runs did; `empty` leaves only the data instruction."""
    instructs = json.loads((shared_copy / "upstream_instructs.json").read_text(encoding="utf-8"))
    tasks = {
        task["id"]: task
        for task in map(json.loads, (shared_copy / "tasks.jsonl").read_text("utf-8").splitlines())
    }
    items = {i.id: i for i in load_bench_dataset(shared_copy).items}
    variants: dict[TaskVariant, tuple[str, bool]] = {
        "full": ("task__plot_description", True),
        "no_style": ("task__plot_description", False),
        "short": ("_task__plot_description_short", False),
        "single": ("_task__plot_description_short_single", False),
    }
    for item_id in (2, 62):  # multi-line parts; non-ASCII text
        task = tasks[item_id]
        for variant, (column, with_style) in variants.items():
            row = hub_row(task, task[column], task["task__plot_style"] if with_style else "")
            assert user_prompt(
                items[item_id],
                instructs=upstream,
                library="plotly",
                descriptor="empty",
                variant=variant,
            ) == reference_user_prompt(instructs, row, "plotly", "")
        row = hub_row(task, GENERIC_TASK, "")
        assert user_prompt(
            items[item_id],
            instructs=upstream,
            library="seaborn",
            descriptor="empty",
            variant="none",
        ) == reference_user_prompt(instructs, row, "seaborn", "")


def _item(**fields: Any) -> BenchItem:
    values: dict[str, Any] = {
        "id": 1,
        "data_csv": b"a,b\n1,2\n",
        "plot_description": " Plot Description: full.\n",
        "plot_style": " Plot Style Description: style.",
        "short": "Plot Description: short.",
        "single": "Plot Description: single.",
    }
    values.update(fields)
    return BenchItem(**values)


def test_default_wording_structure() -> None:
    text = user_prompt(
        _item(),
        instructs=DEFAULT_INSTRUCTS,
        library="matplotlib",
        descriptor="coltypes",
        variant="full",
    )
    plot_instruct, rest = text.split("\n1. ", 1)
    assert plot_instruct == DEFAULT_INSTRUCTS.plot_instruct
    assert "1. " + rest == (
        "1. Plot Description: full.\n"
        "2. Plot Style Description: style.\n"
        "3. "
        + DEFAULT_INSTRUCTS.setup_instruct.replace("[PLOTLIB]", "matplotlib")
        + "DO NOT use seaborn for plotting. Only pure matplotlib. \n"
        "4. "
        + DEFAULT_INSTRUCTS.data_instruct
        + "DataFrame with 2 columns and 1 rows\nColumn names and types: a: int64, b: int64\n"
    )
    assert "```python" in DEFAULT_INSTRUCTS.system_prompt
    assert "\n\n" not in text


@pytest.mark.parametrize(
    ("library", "present", "absent"),
    [
        ("matplotlib", "DO NOT use seaborn", "DO NOT use matplotlib"),
        ("seaborn", None, "DO NOT use"),
        (
            "plotly",
            "DO NOT use matplotlib for plotting. Only plotly library. ",
            "DO NOT use seaborn",
        ),
    ],
)
def test_library_rules(library: Library, present: str | None, absent: str) -> None:
    text = user_prompt(
        _item(), instructs=DEFAULT_INSTRUCTS, library=library, descriptor="empty", variant="full"
    )
    assert f" {library} (with its submodules)" in text
    if present is not None:
        assert present in text
    assert absent not in text


@pytest.mark.parametrize(
    ("variant", "parts"),
    [
        ("full", ["Plot Description: full.", "Plot Style Description: style."]),
        ("no_style", ["Plot Description: full."]),
        ("short", ["Plot Description: short."]),
        ("single", ["Plot Description: single."]),
        ("none", ["Plot a given dataframe."]),
    ],
)
def test_task_variants(variant: TaskVariant, parts: list[str]) -> None:
    item = _item()
    text = user_prompt(
        item, instructs=DEFAULT_INSTRUCTS, library="seaborn", descriptor="empty", variant=variant
    )
    numbered = [line for line in text.splitlines() if line[:1].isdigit()]
    assert numbered[: len(parts)] == [f"{n}. {part}" for n, part in enumerate(parts, start=1)]
    assert numbered[len(parts)].startswith(f"{len(parts) + 1}. Setup.")
    assert numbered[len(parts) + 1].startswith(f"{len(parts) + 2}. Data description.")
    assert task_text(item, variant).used == "\n".join(parts)
    assert task_text(item, variant).plot_description == item.plot_description
    assert judge_task_text(item) == f"{item.plot_description}\n{item.plot_style}"


def test_data_description_is_cut_at_4000_characters() -> None:
    wide = ",".join(f"column_{n}" for n in range(400)) + "\n" + ",".join("1" * 400) + "\n"
    item = _item(data_csv=wide.encode())
    part = data_part(DEFAULT_INSTRUCTS, item.data_csv, "head")
    assert len(part) == 4000
    assert part.startswith(DEFAULT_INSTRUCTS.data_instruct + "\nDataFrame with 400 columns")
    text = user_prompt(
        item, instructs=DEFAULT_INSTRUCTS, library="plotly", descriptor="head", variant="full"
    )
    assert text.endswith(part[-200:] + "\n")


def test_bad_csv_is_a_descriptor_error() -> None:
    with pytest.raises(DescriptorError, match="cannot be read by pandas"):
        build_prompt(
            _item(data_csv=b"\xff\xfe"),
            instructs=DEFAULT_INSTRUCTS,
            library="matplotlib",
            descriptor="head",
            variant="full",
        )


def test_instructs_builtin_and_upstream(upstream: Instructs) -> None:
    assert load_instructs("builtin") is DEFAULT_INSTRUCTS
    assert "[PLOTLIB]" in upstream.setup_instruct
    assert "[PLOTLIB]" in DEFAULT_INSTRUCTS.setup_instruct
    for judge_text in (DEFAULT_INSTRUCTS.judge_instruct_vis, DEFAULT_INSTRUCTS.judge_instruct_task):
        assert "[FINAL SCORE]" in judge_text
    assert "[PLOT TASK]" in DEFAULT_INSTRUCTS.judge_instruct_task


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"is not valid JSON: Expecting property name .* \(line 1, column 2\)"),
        ("[]", "is not in the upstream format"),
        ('{"system_prompt": "x"}', r"setup_instruct: Field required"),
        (None, "extra_key: Extra inputs are not permitted"),
        (None, "plot_instruct: Input should be a valid string"),
    ],
)
def test_bad_instructs_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "instructs.json"
    if content is None:
        data: dict[str, Any] = DEFAULT_INSTRUCTS.model_dump()
        if "extra" in message:
            data["extra_key"] = "x"
        else:
            data["plot_instruct"] = 5
        content = json.dumps(data)
    path.write_text(content)
    with pytest.raises(InstructsError, match=message):
        load_instructs(path)


def test_missing_instructs_file(tmp_path: Path) -> None:
    with pytest.raises(InstructsError, match="cannot be read: No such file or directory"):
        load_instructs(tmp_path / "nope.json")


def test_setting_checks() -> None:
    assert check_library("plotly") == "plotly"
    assert check_task_variant("short") == "short"
    assert check_descriptor("lida") == "lida"
    with pytest.raises(PromptError, match="unknown plotting library 'bokeh'; known: matplotlib"):
        check_library("bokeh")
    with pytest.raises(PromptError, match="TASK=tiny; known: full, no_style, short, single, none"):
        check_task_variant("tiny")
    with pytest.raises(DescriptorError, match="known: head, describe"):
        check_descriptor("pycharm")
