"""Six 0-100 scores of a generated figure's description against the ground truth's, in the
spirit of ChartMimic (arXiv 2406.09961); `score_figures` is the entry point.

- text: F1 over the multisets of the figures' strings (figure title; each axes' title, axis
  labels, legend entries, texts and tick labels), each stripped, casefolded and with its
  whitespace collapsed. Empty strings are dropped, and so are tick labels that read as numbers
  ("1,000", "-0.5" also with U+2212, "1e-3", "25%", "$10^{2}$"): matplotlib computes numeric
  tick labels while plotly's description has only category ones, so keeping them would favour
  one library.
- layout: F1 over the multisets of the axes' grid cells (grid rows and columns and the span
  in each), as ChartMimic does: one axes against one axes is 100; a 1x2 grid against a 2x1
  one shares no cell and scores 0.
- chart type: F1 over the artist kinds (counts summed over the axes, "text" left out: it is
  the text metric's), each kind present in both figures weighted by how well its counts
  agree, 2·min/(g + r): 12 bars against 12 is 100, against 10 is 91, a line in place of bars
  is 0, bars with an extra line against bars alone 67.
- colour: the distinct colours of each figure (over all its axes) matched one to one
  (Hungarian) on CIEDE2000; a pair's similarity is max(0, 1 - ΔE00 / 50). 50 because
  distinct palette hues sit there or beyond (matplotlib's blue and orange are ΔE00 ≈ 52, red
  and blue 53) while shades of one hue stay well inside (matplotlib's default blue against
  plotly's ≈ 15, similarity 0.7). F1 of precision (matched similarity over the generated
  colours) and recall (over the reference's).
- data: the series of each figure (over all its axes) matched one to one (Hungarian), F1 of
  the matched similarity over the two series counts. A pair's similarity: sizes' min/max
  times 1 - mean |a - b| over the common length, in order, divided by the reference's range
  (its mean |value| if the range is 0, 1 if both are 0), floored at 0. Order counts (bars sorted
  otherwise lose: a bar chart shows its order, tasks ask for it) except between two
  scatters, compared sorted; beside a pie both are compared as shares of their total
  (matplotlib gives a wedge's angle, plotly its value). Series kinds are chart type's.
- overall: the mean of the five unrounded scores; all six are rounded to two decimals.

On every metric both figures having nothing to compare (no strings, no axes, no artists, no
colours, no series) scores 100, one side having nothing 0. Every score is deterministic and
lies in [0, 100]; swapping the two figures gives the same scores except data, whose value
scale is the reference's.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment

from orchestrator.bench.figure_metrics.colour import ciede2000, hex_to_lab
from orchestrator.executor.figures import FigureDescription, GridCell, Series

COLOUR_THRESHOLD = 50.0  # ΔE00 at which two colours stop being alike at all
T = TypeVar("T")
Floats = NDArray[np.float64]
Score = Field(ge=0, le=100)

# A tick label is a number once matplotlib's mathtext is taken off ("$\mathdefault{10^{2}}$",
# "$2\times10^{-1}$") along with spaces and a currency's "$": a decimal with thousands
# separators, an exponent or a percent sign, or a power of ten.
MATHTEXT = re.compile(r"\\mathdefault|[${}\s]")
NUMBER = re.compile(
    r"[-+−]?(?:(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[-+−]?\d+)?%?|(?:\d+(?:\.\d*)?×)?10\^[-+−]?\d+)"
)


class FigureScores(BaseModel):
    """The six metrics, each 0-100 (module docstring)."""

    model_config = ConfigDict(frozen=True)

    text: float = Score
    layout: float = Score
    chart_type: float = Score
    colour: float = Score
    data: float = Score
    overall: float = Score


def score_figures(generated: FigureDescription, reference: FigureDescription) -> FigureScores:
    """Scores `generated` against `reference`, the ground truth."""
    parts = {
        "text": multiset_f1(strings(generated), strings(reference)),
        "layout": multiset_f1(cells(generated), cells(reference)),
        "chart_type": chart_type_score(kinds(generated), kinds(reference)),
        "colour": colour_score(colours(generated), colours(reference)),
        "data": data_score(series(generated), series(reference)),
    }
    rounded = {name: round(value, 2) for name, value in parts.items()}
    return FigureScores(**rounded, overall=round(statistics.fmean(parts.values()), 2))


def percent(value: float) -> float:
    return min(100.0, max(0.0, 100 * value))


def multiset_f1(generated: Counter[T], reference: Counter[T]) -> float:
    """F1 of two multisets, 0-100: twice the common count over both sizes."""
    if not generated and not reference:
        return 100.0
    common = sum((generated & reference).values())
    return percent(2 * common / (generated.total() + reference.total()))


# text


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_number(label: str) -> bool:
    return NUMBER.fullmatch(MATHTEXT.sub("", label.replace("\\times", "×"))) is not None


def strings(figure: FigureDescription) -> Counter[str]:
    """The figure's normalised strings, without empty ones and numeric tick labels."""
    texts = [figure.title]
    ticks: list[str] = []
    for axes in figure.axes:
        texts.extend([axes.title, axes.xlabel, axes.ylabel, *axes.legend, *axes.texts])
        ticks.extend([*axes.xticklabels, *axes.yticklabels])
    kept = [normalise(text) for text in texts]
    kept.extend(label for tick in ticks if not is_number(label := normalise(tick)))
    return Counter(text for text in kept if text)


# layout


def cells(figure: FigureDescription) -> Counter[GridCell]:
    return Counter(axes.cell for axes in figure.axes)


# chart type


def kinds(figure: FigureDescription) -> Counter[str]:
    """Artists by kind over all the axes, "text" and zero counts left out."""
    counts: Counter[str] = Counter()
    for axes in figure.axes:
        counts.update({kind: n for kind, n in axes.artists.items() if kind != "text"})
    return +counts


def chart_type_score(generated: Counter[str], reference: Counter[str]) -> float:
    """F1 over kinds, each common kind counting 2·min/(g + r) of its two counts."""
    if not generated and not reference:
        return 100.0
    agreement = sum(
        2 * min(generated[kind], reference[kind]) / (generated[kind] + reference[kind])
        for kind in sorted(generated.keys() & reference.keys())
    )
    return percent(2 * agreement / (len(generated) + len(reference)))


# matching


def matched_f1(similarity: Floats) -> float:
    """F1 of the best one-to-one matching of a (generated x reference) matrix of
    similarities in [0, 1]: twice the matched similarity over both counts, 0-100."""
    n_generated, n_reference = similarity.shape
    if n_generated == 0 and n_reference == 0:
        return 100.0
    if n_generated == 0 or n_reference == 0:
        return 0.0
    rows, columns = linear_sum_assignment(similarity, maximize=True)
    matched = math.fsum(similarity[rows, columns].tolist())
    return percent(2 * matched / (n_generated + n_reference))


def pairwise(
    generated: Sequence[T], reference: Sequence[T], similarity: Callable[[T, T], float]
) -> Floats:
    matrix = np.zeros((len(generated), len(reference)))
    for i, g in enumerate(generated):
        for j, r in enumerate(reference):
            matrix[i, j] = similarity(g, r)
    return matrix


# colour


def colours(figure: FigureDescription) -> list[str]:
    return sorted({colour for axes in figure.axes for colour in axes.colours})


def colour_score(generated: Sequence[str], reference: Sequence[str]) -> float:
    """F1 of the best matching on max(0, 1 - ΔE00 / COLOUR_THRESHOLD)."""
    if not generated or not reference:
        return matched_f1(np.zeros((len(generated), len(reference))))
    distance = ciede2000(hex_to_lab(generated)[:, None, :], hex_to_lab(reference)[None, :, :])
    return matched_f1(np.clip(1 - distance / COLOUR_THRESHOLD, 0.0, 1.0))


# data


def series(figure: FigureDescription) -> list[Series]:
    return [s for axes in figure.axes for s in axes.series]


def finite(values: Sequence[float]) -> Floats:
    array = np.asarray(values, dtype=float)
    kept: Floats = array[np.isfinite(array)]
    return kept


def shares(values: Floats) -> Floats:
    total = float(np.abs(values).sum())
    return values / total if total > 0 else values


def values_agreement(generated: Series, reference: Series) -> float:
    """1 - mean |a - b| over the common length, scaled by the reference's spread, floored
    at 0; 1 when both have no values, 0 when one has none."""
    a, b = finite(generated.values), finite(reference.values)
    if "pie" in (generated.kind, reference.kind):
        a, b = shares(a), shares(b)
    if generated.kind == reference.kind == "scatter":
        a, b = np.sort(a), np.sort(b)
    common = min(len(a), len(b))
    if common == 0:
        return 1.0 if len(a) == len(b) else 0.0
    scale = float(np.ptp(b)) or float(np.mean(np.abs(b))) or 1.0
    return max(0.0, 1 - float(np.mean(np.abs(a[:common] - b[:common]))) / scale)


def series_similarity(generated: Series, reference: Series) -> float:
    """The sizes' agreement min/max times the values' agreement, in [0, 1]."""
    largest = max(generated.size, reference.size)
    sizes = min(generated.size, reference.size) / largest if largest else 1.0
    return sizes * values_agreement(generated, reference)


def data_score(generated: Sequence[Series], reference: Sequence[Series]) -> float:
    return matched_f1(pairwise(generated, reference, series_similarity))
