from __future__ import annotations

import json
from typing import get_args

import numpy as np
import pandas as pd
import pytest

from orchestrator.bench.data.descriptors import (
    DESCRIPTORS,
    DescriptorError,
    DescriptorName,
    describe_frame,
    read_item_frame,
)

XYZ = read_item_frame(b"x,y,z\n1,1,1\n2,1,2\n1,2,2\n2,2,3\n")


def test_head_is_types_plus_head_as_json() -> None:
    assert describe_frame(XYZ, "head") == (
        "DataFrame with 3 columns and 4 rows\n"
        "Column names and types: x: int64, y: int64, z: int64\n"
        "Head:\n"
        '{"x":{"0":1,"1":2,"2":1,"3":2},"y":{"0":1,"1":1,"2":2,"3":2},'
        '"z":{"0":1,"1":2,"2":2,"3":3}}'
    )


def test_head_shows_five_rows() -> None:
    df = pd.DataFrame({"v": range(8)})
    head = json.loads(describe_frame(df, "head").split("Head:\n", 1)[1])
    assert list(head["v"]) == ["0", "1", "2", "3", "4"]


def test_coltypes_and_empty() -> None:
    assert describe_frame(XYZ, "coltypes") == (
        "DataFrame with 3 columns and 4 rows\nColumn names and types: x: int64, y: int64, z: int64"
    )
    assert describe_frame(XYZ, "empty") == ""


def test_describe_is_types_plus_describe_as_json() -> None:
    text = describe_frame(XYZ, "describe")
    header, stats = text.split("\nColumns stats:\n")
    assert header == describe_frame(XYZ, "coltypes")
    assert json.loads(stats)["z"] == {
        "count": 4.0,
        "mean": 2.0,
        "std": pytest.approx(0.8164965809),
        "min": 1.0,
        "25%": 1.75,
        "50%": 2.0,
        "75%": 2.25,
        "max": 3.0,
    }


def test_colstats_pycharm_style() -> None:
    df = pd.DataFrame(
        {
            "a": [1, 2, 3],
            "b": [1.5, np.nan, 2.25],
            "c": ["x", "y", None],
            "mixed": ["x", 1, 2.5],
        }
    )
    assert describe_frame(df, "colstats") == (
        "Number of rows in DataFrame: 3\n"
        "DataFrame has the following columns:\n"
        "a of type int. Count: 3, Mean: 2.0, Std. Deviation: 1.0, Min: 1, Max: 3\n"
        "b of type float. Count: 2, Mean: 1.875, Std. Deviation: 0.53033, Min: 1.5, Max: 2.25\n"
        "c of type str. Count: 2\n"
        "mixed of type {float, int, str}. Count: 3"
    )


def test_lida_column_summaries() -> None:
    df = read_item_frame(
        b"n,when,kind,name,flag\n"
        b"1,2020-01-01,a,alice,True\n"
        b"2,2020-01-02,a,bob,False\n"
        b"4,2020-01-03,a,carol,True\n"
        b"5,2020-01-04,a,dave,True\n"
        b"8,2020-01-05,b,erin,False\n"
    )
    summaries = {s["column"]: s["properties"] for s in json.loads(describe_frame(df, "lida"))}
    number = summaries["n"]
    assert number["dtype"] == "number"
    assert (number["min"], number["max"]) == (1, 8)
    assert number["std"] == 2  # int column: std 2.74 truncated, as the reference does
    assert len(number["samples"]) == 3 and set(number["samples"]) <= {1, 2, 4, 5, 8}
    assert number["num_unique_values"] == 5
    assert summaries["when"]["dtype"] == "date"
    assert (summaries["when"]["min"], summaries["when"]["max"]) == ("2020-01-01", "2020-01-05")
    assert summaries["kind"]["dtype"] == "category"  # 2 distinct of 5: ratio < 0.5
    assert sorted(summaries["kind"]["samples"]) == ["a", "b"]  # fewer than 3 distinct
    assert summaries["name"]["dtype"] == "string"
    assert len(summaries["name"]["samples"]) == 3  # not shrunk by the earlier column
    assert summaries["flag"]["dtype"] == "boolean"


def test_lida_float_nan_std_is_zero() -> None:
    df = pd.DataFrame({"f": [2.5]})
    (summary,) = json.loads(describe_frame(df, "lida"))
    assert summary["properties"]["std"] == 0
    assert summary["properties"]["min"] == 2.5


def test_every_descriptor_handles_an_empty_frame() -> None:
    df = read_item_frame(b"a,b\n")
    for name in DESCRIPTORS:
        assert isinstance(describe_frame(df, name), str)


def test_every_descriptor_name_has_a_function() -> None:
    assert tuple(DESCRIPTORS) == get_args(DescriptorName)


def test_unknown_descriptor_lists_the_known_ones() -> None:
    with pytest.raises(DescriptorError) as error:
        describe_frame(XYZ, "pycharm")
    assert str(error.value) == (
        "unknown descriptor 'pycharm'; known: head, describe, lida, colstats, coltypes, empty"
    )


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b""])
def test_unreadable_csv(data: bytes) -> None:
    with pytest.raises(DescriptorError, match="cannot be read by pandas"):
        read_item_frame(data)
