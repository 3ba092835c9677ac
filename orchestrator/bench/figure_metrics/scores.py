"""Six 0-100 scores of a generated figure's description against the ground truth's.

- text: F1 over the multiset of the figure's strings (figure and axes titles, axis labels,
  legend entries, texts, tick labels), each stripped, casefolded and with its whitespace
  collapsed; empty strings and tick labels that read as numbers are left out (plotly's
  description has only category tick labels, matplotlib computes numeric ones).
- layout: F1 over the multiset of the axes' grid cells (grid shape and spans), as in
  ChartMimic; a 1x2 grid against a 2x1 one shares no cell.
- chart type: F1 over artist kinds weighted by count, "text" left out: each kind matches
  min(generated, reference) of its artists, so 12 bars against 10 keep most of the score
  and a line in place of bars none.
- colour: the distinct colours of both figures matched one to one (Hungarian) on CIEDE2000;
  a pair's similarity is max(0, 1 - ΔE00 / 50) (ΔE00 ≈ 2 is a just-noticeable difference,
  blue against orange is ≈ 60); precision and recall are the matched similarities over the
  generated and the reference colours, and the score their F1.
- data: the series of both figures matched one to one (Hungarian) on a pair similarity:
  same kind required; sizes' agreement min/max times the values' agreement, 1 - mean |a - b|
  over the common length (in order) divided by the reference's range (its mean absolute
  value when the range is 0, 1 when that is 0 too), floored at 0. Order matters: sorted
  bars against unsorted ones differ. F1 of the matched similarities over the series counts.
- overall: the mean of the five.

On every metric both figures having nothing to compare scores 100, one side having
nothing 0. Every score is deterministic and symmetric in its two figures, except data,
whose scale is the reference's.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from scipy.optimize import linear_sum_assignment

from orchestrator.bench.figure_metrics.colour import ciede2000, hex_to_lab
from orchestrator.executor.figures import FigureDescription, Series

COLOUR_THRESHOLD = 50.0  # ΔE00 at which two colours stop being alike at all
NUMBER = re.compile(r"[-+−]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?%?")
T = TypeVar("T")
Score = Field(ge=0, le=100)


class FigureScores(BaseModel):
    text: float = Score
    layout: float = Score
    chart_type: float = Score
    colour: float = Score
    data: float = Score
    overall: float = Score


def score_figures(generated: FigureDescription, reference: FigureDescription) -> FigureScores:
    parts = {
        "text": text_score(generated, reference),
        "layout": multiset_f1(cells(generated), cells(reference)),
        "chart_type": multiset_f1(kinds(generated), kinds(reference)),
        "colour": colour_score(colours(generated), colours(reference)),
        "data": data_score(series(generated), series(reference)),
    }
    rounded = {name: round(value, 2) for name, value in parts.items()}
    return FigureScores(**rounded, overall=round(statistics.fmean(parts.values()), 2))


def multiset_f1(generated: Counter[Hashable], reference: Counter[Hashable]) -> float:
    if not generated and not reference:
        return 100.0
    common = sum((generated & reference).values())
    return 100 * 2 * common / (sum(generated.values()) + sum(reference.values()))


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def strings(figure: FigureDescription) -> Counter[Hashable]:
    texts = [figure.title]
    ticks: list[str] = []
    for axes in figure.axes:
        texts.extend([axes.title, axes.xlabel, axes.ylabel, *axes.legend, *axes.texts])
        ticks.extend([*axes.xticklabels, *axes.yticklabels])
    kept = [normalise(t) for t in texts]
    kept.extend(n for t in ticks if not NUMBER.fullmatch(n := normalise(t)))
    return Counter(t for t in kept if t)


def text_score(generated: FigureDescription, reference: FigureDescription) -> float:
    return multiset_f1(strings(generated), strings(reference))


def cells(figure: FigureDescription) -> Counter[Hashable]:
    return Counter(axes.cell for axes in figure.axes)


def kinds(figure: FigureDescription) -> Counter[Hashable]:
    counts: Counter[Hashable] = Counter()
    for axes in figure.axes:
        counts.update({kind: n for kind, n in axes.artists.items() if kind != "text"})
    return +counts


def colours(figure: FigureDescription) -> list[str]:
    return sorted({colour for axes in figure.axes for colour in axes.colours})


def series(figure: FigureDescription) -> list[Series]:
    return [s for axes in figure.axes for s in axes.series]


def matched_f1(
    generated: Sequence[T], reference: Sequence[T], similarity: Callable[[T, T], float]
) -> float:
    """F1 of the best one-to-one matching's summed similarities (each in [0, 1])."""
    if not generated and not reference:
        return 100.0
    if not generated or not reference:
        return 0.0
    matrix = np.array([[similarity(g, r) for r in reference] for g in generated])
    return f1_of(matrix, len(generated), len(reference))


def f1_of(matrix: NDArray[np.float64], n_generated: int, n_reference: int) -> float:
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    matched = float(matrix[rows, columns].sum())
    return 100 * 2 * matched / (n_generated + n_reference)


def colour_score(generated: list[str], reference: list[str]) -> float:
    if not generated and not reference:
        return 100.0
    if not generated or not reference:
        return 0.0
    distance = ciede2000(hex_to_lab(generated)[:, None, :], hex_to_lab(reference)[None, :, :])
    similarity = np.clip(1 - distance / COLOUR_THRESHOLD, 0, 1)
    return f1_of(similarity, len(generated), len(reference))


def series_similarity(generated: Series, reference: Series) -> float:
    if generated.kind != reference.kind:
        return 0.0
    if generated.size == 0 and reference.size == 0:
        return 1.0
    sizes = min(generated.size, reference.size) / max(generated.size, reference.size)
    return sizes * values_agreement(generated.values, reference.values)


def values_agreement(generated: Iterable[float], reference: Iterable[float]) -> float:
    a, b = np.asarray(list(generated), dtype=float), np.asarray(list(reference), dtype=float)
    common = min(len(a), len(b))
    if common == 0:
        return 1.0 if len(a) == len(b) else 0.0
    scale = float(np.ptp(b)) or float(np.mean(np.abs(b))) or 1.0
    return max(0.0, 1 - float(np.mean(np.abs(a[:common] - b[:common]))) / scale)


def data_score(generated: list[Series], reference: list[Series]) -> float:
    return matched_f1(generated, reference, series_similarity)
