"""DataFrame descriptors: the text that tells the model what `df` holds (`DESCRIPTOR=`).

Each follows the benchmark's reference implementation (`TaskChanger` in
JetBrains-Research/PandasPlotBench, plotting_benchmark/task_changer.py), whose names differ:

- `head` (reference `head`, the default): shape, column dtypes, then `df.head()` as JSON.
- `describe` (reference `describe`): shape, column dtypes, then `df.describe()` as JSON.
- `lida` (reference `lida`): a JSON list with one LIDA-style summary per column (semantic
  dtype, std/min/max for numbers, min/max for dates, up to 3 sample values, unique count).
- `colstats` (reference `pycharm`): row count, then per column its Python value types, the
  non-null count and, for int/float columns, mean, std, min and max as PyCharm shows them.
- `coltypes` (reference `datalore`): shape and column dtypes only.
- `empty`: nothing.

Deliberate differences in `lida`: the reference shrinks its sample count for every later
column once one column has fewer than 3 distinct values (a loop variable reused); here every
column gets up to 3 samples. Date min/max that pandas returns as Timestamps are written as
strings where the reference would fail to serialise them. In `colstats`, a column holding
several Python types lists them sorted; the reference prints them in set order, which varies
from one process to the next.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

DescriptorName = Literal["head", "describe", "lida", "colstats", "coltypes", "empty"]
DEFAULT_DESCRIPTOR: DescriptorName = "head"


class DescriptorError(ValueError):
    """An unknown descriptor name or an item CSV pandas cannot read."""


def read_item_frame(data_csv: bytes) -> pd.DataFrame:
    """Reads an item's CSV the way the reference does: `pd.read_csv` on the decoded text."""
    try:
        return pd.read_csv(io.StringIO(data_csv.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise DescriptorError(f"the item's data.csv cannot be read by pandas: {exc}") from exc


def describe_frame(df: pd.DataFrame, descriptor: str) -> str:
    return descriptor_function(descriptor)(df)


def descriptor_function(name: str) -> Callable[[pd.DataFrame], str]:
    return DESCRIPTORS[check_descriptor(name)]


def check_descriptor(name: str) -> DescriptorName:
    """Raises DescriptorError, listing the known descriptors, for an unknown name."""
    for known in DESCRIPTORS:
        if name == known:
            return known
    raise DescriptorError(f"unknown descriptor {name!r}; known: {', '.join(DESCRIPTORS)}")


def _shape_and_types(df: pd.DataFrame) -> str:
    types = ", ".join(f"{column}: {df[column].dtype}" for column in df.columns)
    return (
        f"DataFrame with {len(df.columns)} columns and {len(df)} rows\n"
        f"Column names and types: {types}"
    )


def coltypes(df: pd.DataFrame) -> str:
    return _shape_and_types(df)


def head(df: pd.DataFrame) -> str:
    return f"{_shape_and_types(df)}\nHead:\n{df.head().to_json()}"


def describe(df: pd.DataFrame) -> str:
    return f"{_shape_and_types(df)}\nColumns stats:\n{df.describe().to_json()}"


def empty(df: pd.DataFrame) -> str:
    return ""


def colstats(df: pd.DataFrame) -> str:
    lines = [f"Number of rows in DataFrame: {len(df)}", "DataFrame has the following columns:"]
    for column in df.columns:
        series = df[column]
        type_names = {type(value).__name__ for value in series[series.notna()]}
        if len(type_names) == 1:
            types = type_names.pop()
        else:
            # The reference prints the Python set without quotes, "{float, str}", in set
            # order, which changes from one process to the next; sorted here.
            types = "{" + ", ".join(sorted(type_names)) + "}" if type_names else "set()"
        line = f"{column} of type {types}. Count: {series.count()}"
        dtype = str(series.dtype)
        if dtype.startswith(("int", "float")):
            is_int = dtype.startswith("int")
            low = f"{series.min()}" if is_int else f"{series.min():.6}"
            high = f"{series.max()}" if is_int else f"{series.max():.6}"
            line += (
                f", Mean: {series.mean():.6}, Std. Deviation: {series.std():.6}, "
                f"Min: {low}, Max: {high}"
            )
        lines.append(line)
    return "\n".join(lines).lstrip()


LIDA_SAMPLES = 3
_LIDA_NUMBER_DTYPES = (np.dtype(int), np.dtype(float), np.dtype(complex))


def lida(df: pd.DataFrame) -> str:
    summaries = [
        {"column": column, "properties": _lida_properties(df[column])} for column in df.columns
    ]
    return json.dumps(summaries, indent=2, default=str)


def _lida_properties(series: pd.Series[Any]) -> dict[str, Any]:
    dtype = series.dtype
    properties: dict[str, Any] = {}
    if dtype in _LIDA_NUMBER_DTYPES:
        properties["dtype"] = "number"
        for stat in ("std", "min", "max"):
            properties[stat] = _json_number(str(dtype), getattr(series, stat)())
    elif dtype == np.dtype(bool):
        properties["dtype"] = "boolean"
    elif dtype == np.dtype(object):
        properties["dtype"] = _lida_object_kind(series)
    elif isinstance(dtype, pd.CategoricalDtype):
        properties["dtype"] = "category"
    elif pd.api.types.is_datetime64_any_dtype(series):
        properties["dtype"] = "date"
    else:
        properties["dtype"] = str(dtype)
    if properties["dtype"] == "date":
        try:
            properties["min"], properties["max"] = series.min(), series.max()
        except TypeError:
            as_dates = pd.to_datetime(series, errors="coerce")
            properties["min"], properties["max"] = as_dates.min(), as_dates.max()
    distinct = series[series.notna()].unique()
    count = min(LIDA_SAMPLES, len(distinct))
    properties["samples"] = pd.Series(distinct).sample(count, random_state=42).tolist()
    properties["num_unique_values"] = series.nunique()
    return properties


def _lida_object_kind(series: pd.Series[Any]) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it has to guess a date format
            pd.to_datetime(series, errors="raise")
        return "date"
    except (ValueError, TypeError, OverflowError):
        if len(series) and series.nunique() / len(series) < 0.5:
            return "category"
        return "string"


def _json_number(dtype: str, value: Any) -> Any:
    if np.isnan(value):
        return 0  # as the reference: a NaN statistic (one row's std) becomes 0
    # As the reference, a statistic takes the column's type: an int column's std is truncated.
    if "float" in dtype:
        return float(value)
    if "int" in dtype:
        return int(value)
    return value


DESCRIPTORS: dict[DescriptorName, Callable[[pd.DataFrame], str]] = {
    "head": head,
    "describe": describe,
    "lida": lida,
    "colstats": colstats,
    "coltypes": coltypes,
    "empty": empty,
}
