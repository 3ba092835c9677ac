"""The judge-free figure metrics (figure_metrics.scores) on descriptions built by hand, and
CIEDE2000 (figure_metrics.colour) against Sharma, Wu and Dalal's published test data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orchestrator.bench.figure_metrics.colour import ciede2000, hex_to_lab
from orchestrator.bench.figure_metrics.scores import (
    FigureScores,
    is_number,
    score_figures,
    strings,
)
from orchestrator.executor.figures import AxesDescription, FigureDescription, GridCell, Series

METRICS = ("text", "layout", "chart_type", "colour", "data")


def cell(rows: int = 1, cols: int = 1, row: int = 0, col: int = 0) -> GridCell:
    return GridCell(
        rows=rows, cols=cols, row_start=row, row_end=row + 1, col_start=col, col_end=col + 1
    )


def axes(**fields: Any) -> AxesDescription:
    return AxesDescription(**({"cell": cell()} | fields))


def figure(*described: AxesDescription, title: str = "") -> FigureDescription:
    return FigureDescription(library="matplotlib", title=title, axes=list(described))


MONTHS = ["Jan", "Feb", "Mar", "Apr"]
SALES = [12.0, 30.0, 7.0, 21.0]


def bars(values: list[float] = SALES, kind: str = "bar", **fields: Any) -> AxesDescription:
    """A bar chart of `values` (or, with another kind, the same data drawn as that kind)."""
    count = len(values) if kind in ("bar", "pie") else 1
    base: dict[str, Any] = {
        "title": "Monthly sales",
        "xlabel": "Month",
        "ylabel": "Sales (k$)",
        "xticklabels": MONTHS[: len(values)],
        "yticklabels": ["0", "10", "20", "30"],
        "artists": {kind: count},
        "colours": ["#1f77b4"],
        "series": [Series(kind=kind, size=len(values), values=values)],
    }
    return axes(**(base | fields))


def lines() -> AxesDescription:
    return axes(
        title="Temperature",
        xlabel="Day",
        ylabel="°C",
        xticklabels=["0", "5", "10"],
        legend=["Berlin", "Paris"],
        texts=["heatwave"],
        artists={"line": 2, "text": 1},
        colours=["#1f77b4", "#ff7f0e"],
        series=[
            Series(kind="line", size=11, values=[float(i) for i in range(11)]),
            Series(kind="line", size=11, values=[float(i * i) for i in range(11)]),
        ],
    )


def grid() -> FigureDescription:
    scatter = axes(
        cell=cell(2, 2, 0, 1),
        title="Height vs weight",
        artists={"scatter": 1},
        colours=["#2ca02c"],
        series=[Series(kind="scatter", size=5, values=[60.0, 72.5, 80.0, 55.0, 90.0])],
    )
    heatmap = axes(
        cell=cell(2, 2, 1, 0),
        artists={"image": 1},
        series=[Series(kind="image", size=6, values=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])],
    )
    histogram = axes(
        cell=cell(2, 2, 1, 1),
        xlabel="Height",
        artists={"bar": 3},
        colours=["#d62728"],
        series=[Series(kind="bar", size=3, values=[4.0, 9.0, 2.0])],
    )
    return figure(bars(cell=cell(2, 2, 0, 0)), scatter, heatmap, histogram, title="Survey")


def pie() -> FigureDescription:
    return figure(
        axes(
            projection="polar",
            title="Fruit",
            legend=["apple", "banana", "cherry"],
            texts=["50%", "30%", "20%"],
            artists={"pie": 3, "text": 3},
            colours=["#1f77b4", "#ff7f0e", "#2ca02c"],
            series=[Series(kind="pie", size=3, values=[180.0, 108.0, 72.0])],
        )
    )


SHAPES = {
    "bars": figure(bars()),
    "lines": figure(lines(), title="Weather"),
    "2x2 grid": grid(),
    "pie": pie(),
    "an empty axes": figure(axes()),
    "no axes": figure(),
}


def perfect_except(scores: FigureScores, metric: str) -> bool:
    others = {name: getattr(scores, name) for name in METRICS if name != metric}
    return getattr(scores, metric) < 100 and others == dict.fromkeys(others, 100.0)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_a_figure_against_itself_scores_100_on_every_metric(shape: FigureDescription) -> None:
    assert score_figures(shape, shape).model_dump() == dict.fromkeys(FigureScores.model_fields, 100)


@pytest.mark.parametrize("generated", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("reference", SHAPES.values(), ids=SHAPES.keys())
def test_every_score_is_in_range_deterministic_and_symmetric_but_data(
    generated: FigureDescription, reference: FigureDescription
) -> None:
    scores = score_figures(generated, reference)
    assert all(0 <= value <= 100 for value in scores.model_dump().values())
    assert score_figures(generated, reference) == scores
    swapped = score_figures(reference, generated).model_dump()
    assert {m: swapped[m] for m in METRICS if m != "data"} == {
        m: getattr(scores, m) for m in METRICS if m != "data"
    }
    mean = sum(getattr(scores, m) for m in METRICS) / 5
    assert scores.overall == pytest.approx(mean, abs=0.01)


# Each defect lowers its own metric and leaves the others at 100.


def test_the_same_data_drawn_as_lines_instead_of_bars_lowers_only_the_chart_type() -> None:
    scores = score_figures(figure(bars(kind="line")), figure(bars()))
    assert perfect_except(scores, "chart_type")
    assert scores.chart_type == 0


def test_a_missing_title_lowers_only_the_text() -> None:
    scores = score_figures(figure(bars(title="")), figure(bars()))
    assert perfect_except(scores, "text")
    # 6 strings against 7: the months, two labels and the title; the numeric ticks drop out
    assert scores.text == pytest.approx(100 * 2 * 6 / (6 + 7), abs=0.01)


def test_a_transposed_grid_lowers_only_the_layout() -> None:
    left, right = bars(), lines()
    side_by_side = figure(
        left.model_copy(update={"cell": cell(1, 2, 0, 0)}),
        right.model_copy(update={"cell": cell(1, 2, 0, 1)}),
    )
    stacked = figure(
        left.model_copy(update={"cell": cell(2, 1, 0, 0)}),
        right.model_copy(update={"cell": cell(2, 1, 1, 0)}),
    )
    scores = score_figures(stacked, side_by_side)
    assert perfect_except(scores, "layout")
    assert scores.layout == 0


def test_wrong_colours_lower_only_the_colour() -> None:
    scores = score_figures(figure(bars(colours=["#ff7f0e"])), figure(bars()))
    assert perfect_except(scores, "colour")
    assert scores.colour == 0  # blue against orange: ΔE00 ≈ 52, beyond the threshold


def test_a_shade_of_the_same_colour_keeps_most_of_the_colour() -> None:
    scores = score_figures(figure(bars(colours=["#636efa"])), figure(bars()))  # plotly's blue
    assert perfect_except(scores, "colour")
    assert 60 < scores.colour < 80


def test_wrong_values_lower_only_the_data() -> None:
    scores = score_figures(figure(bars([12.0, 30.0, 7.0, 30.0])), figure(bars()))
    assert perfect_except(scores, "data")
    # mean |a - b| = 9 / 4 over the reference's range 23
    assert scores.data == pytest.approx(100 * (1 - 9 / 4 / 23), abs=0.01)


def test_wrong_sizes_lower_only_the_data() -> None:
    generated = bars(series=[Series(kind="bar", size=8, values=SALES)])
    scores = score_figures(figure(generated), figure(bars()))
    assert perfect_except(scores, "data")
    assert scores.data == 50


def test_bars_in_another_order_lose_data_but_scatter_points_do_not() -> None:
    sorted_bars = figure(bars(sorted(SALES)))
    assert score_figures(sorted_bars, figure(bars())).data < 80

    def scatter(values: list[float]) -> FigureDescription:
        return figure(
            axes(artists={"scatter": 1}, series=[Series(kind="scatter", size=4, values=values)])
        )

    assert score_figures(scatter(sorted(SALES)), scatter(SALES)).data == 100


def test_a_pie_is_compared_by_shares() -> None:
    """matplotlib describes wedges by their angles, plotly by their values."""
    values = Series(kind="pie", size=3, values=[50.0, 30.0, 20.0])
    by_value = pie().axes[0].model_copy(update={"series": [values]})
    assert score_figures(figure(by_value), pie()).data == 100


def test_series_are_matched_whatever_their_order() -> None:
    reference = lines()
    swapped = reference.model_copy(update={"series": reference.series[::-1]})
    assert score_figures(figure(swapped), figure(reference)).data == 100


@pytest.mark.parametrize(
    ("generated", "reference", "expected"),
    [
        ({"bar": 12}, {"bar": 12}, 100.0),
        ({"bar": 12}, {"bar": 10}, 90.91),
        ({"line": 1}, {"bar": 12}, 0.0),
        ({"bar": 12, "line": 1}, {"bar": 12}, 66.67),
        ({"bar": 12, "text": 12}, {"bar": 12}, 100.0),  # text is the text metric's
        ({"bar": 0}, {}, 100.0),
    ],
)
def test_chart_type_weighs_each_kind_by_its_counts(
    generated: dict[str, int], reference: dict[str, int], expected: float
) -> None:
    scores = score_figures(figure(axes(artists=generated)), figure(axes(artists=reference)))
    assert scores.chart_type == expected


def test_twelve_bars_against_ten_keep_a_high_chart_type() -> None:
    twelve = [float(i) for i in range(12)]
    scores = score_figures(figure(bars(twelve)), figure(bars(twelve[:10])))
    assert scores.chart_type > 90


def test_the_layout_counts_shared_cells() -> None:
    one = figure(axes())
    two = figure(axes(cell=cell(1, 2, 0, 0)), axes(cell=cell(1, 2, 0, 1)))
    assert score_figures(one, one).layout == 100
    assert score_figures(two, one).layout == 0
    twin = figure(axes(), axes())  # twinx: two axes in one cell
    assert score_figures(twin, one).layout == pytest.approx(66.67)
    spanning = GridCell(rows=2, cols=2, row_start=0, row_end=2, col_start=0, col_end=1)
    assert score_figures(figure(axes(cell=spanning)), figure(axes(cell=cell(2, 2)))).layout == 0


# text


def test_text_is_normalised_and_counted_as_a_multiset() -> None:
    generated = figure(axes(title="  Monthly   SALES ", legend=["a", "a"], xticklabels=["", "x"]))
    reference = figure(axes(title="monthly sales", legend=["a"], xticklabels=["x"]))
    assert strings(generated) == {"monthly sales": 1, "a": 2, "x": 1}
    assert score_figures(generated, reference).text == pytest.approx(100 * 2 * 3 / 7, abs=0.01)


@pytest.mark.parametrize(
    "label",
    [
        "0",
        "-1.5",
        "−0.5",
        "1,000",
        "1e-3",
        "2.5E+06",
        "25%",
        ".5",
        "$\\mathdefault{10^{2}}$",
        "$\\mathdefault{2\\times10^{-1}}$",
        "$1,000",
    ],
)
def test_numeric_tick_labels_are_numbers(label: str) -> None:
    assert is_number(label.casefold())


@pytest.mark.parametrize("label", ["Jan", "2020-01", "Q1", "a1", "1st", "10 km", "-", ""])
def test_other_tick_labels_are_not_numbers(label: str) -> None:
    assert not is_number(label.casefold())


def test_numeric_tick_labels_do_not_count_but_category_ones_do() -> None:
    """matplotlib's computed ticks against plotly's description, which has none."""
    matplotlib_ = figure(axes(xticklabels=["A", "B"], yticklabels=["0.0", "2.5", "5.0"]))
    plotly = figure(axes(xticklabels=["A", "B"]))
    assert score_figures(matplotlib_, plotly).text == 100
    assert score_figures(figure(axes(xticklabels=["A", "C"])), plotly).text == 50


def test_the_figure_title_is_text() -> None:
    assert score_figures(figure(title="Survey"), figure(title="survey")).text == 100
    assert score_figures(figure(title="Survey"), figure()).text == 0


# edge cases: both sides empty 100, one side empty 0


EMPTY = figure(axes())


@pytest.mark.parametrize(
    ("full", "metrics"),
    [
        (figure(axes(title="t")), ("text",)),
        (figure(axes(artists={"line": 1})), ("chart_type",)),
        (figure(axes(colours=["#000000"])), ("colour",)),
        (figure(axes(series=[Series(kind="line", size=1, values=[1.0])])), ("data",)),
        (figure(), ("layout",)),
    ],
    ids=["text", "chart type", "colour", "data", "layout"],
)
def test_one_side_empty_scores_0_and_both_100(full: FigureDescription, metrics: tuple[str]) -> None:
    for generated, reference in ((full, EMPTY), (EMPTY, full)):
        scores = score_figures(generated, reference)
        assert {m: getattr(scores, m) for m in metrics} == dict.fromkeys(metrics, 0.0)
        assert all(getattr(scores, m) == 100 for m in METRICS if m not in metrics)
    assert score_figures(EMPTY, EMPTY).model_dump() == dict.fromkeys(FigureScores.model_fields, 100)


def test_two_figures_without_axes_score_100() -> None:
    assert score_figures(figure(), figure()).overall == 100


@pytest.mark.parametrize(
    ("generated", "reference", "expected"),
    [
        (Series(kind="bar", size=0, values=[]), Series(kind="bar", size=0, values=[]), 100),
        (Series(kind="bar", size=3, values=[]), Series(kind="bar", size=3, values=[1.0]), 0),
        (Series(kind="bar", size=0, values=[]), Series(kind="bar", size=2, values=[1.0, 2.0]), 0),
        # a constant reference is scaled by its mean |value|, an all-zero one by 1
        (
            Series(kind="bar", size=2, values=[4.0, 4.0]),
            Series(kind="bar", size=2, values=[5.0, 5.0]),
            80,
        ),
        (Series(kind="bar", size=1, values=[0.25]), Series(kind="bar", size=1, values=[0.0]), 75),
        (Series(kind="bar", size=1, values=[9.0]), Series(kind="bar", size=1, values=[0.0]), 0),
        # values that are not finite are left out
        (
            Series(kind="line", size=2, values=[1.0, float("nan")]),
            Series(kind="line", size=2, values=[1.0, float("inf")]),
            100,
        ),
    ],
)
def test_data_edge_cases(generated: Series, reference: Series, expected: float) -> None:
    scores = score_figures(figure(axes(series=[generated])), figure(axes(series=[reference])))
    assert scores.data == expected


def test_extra_series_lower_the_data_by_their_share() -> None:
    one = Series(kind="line", size=2, values=[1.0, 2.0])
    other = Series(kind="line", size=2, values=[100.0, -50.0])
    assert score_figures(figure(axes(series=[one, other])), figure(axes(series=[one]))).data == (
        pytest.approx(100 * 2 * 1 / 3, abs=0.01)
    )


def test_colours_are_matched_one_to_one_over_all_axes() -> None:
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    split = figure(axes(colours=palette[:2]), axes(colours=palette[1:]))
    assert score_figures(split, figure(axes(colours=palette))).colour == 100
    # two blues against one: the second blue matches nothing
    blues = figure(axes(colours=["#1f77b4", "#1f77b5"]))
    assert score_figures(blues, figure(axes(colours=["#1f77b4"]))).colour == pytest.approx(
        100 * 2 * 1 / 3, abs=0.01
    )


# CIEDE2000: all 34 pairs of Sharma, Wu and Dalal (2005), Table 1


SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_sharma_pair_by_pair(
    lab1: tuple[float, ...], lab2: tuple[float, ...], expected: float
) -> None:
    got = ciede2000(np.array(lab1), np.array(lab2))
    assert round(float(got), 4) == expected
    assert round(float(ciede2000(np.array(lab2), np.array(lab1))), 4) == expected  # symmetric


def test_ciede2000_is_vectorised() -> None:
    first = np.array([pair[0] for pair in SHARMA])
    second = np.array([pair[1] for pair in SHARMA])
    expected = np.array([pair[2] for pair in SHARMA])
    np.testing.assert_allclose(ciede2000(first, second), expected, atol=5e-5)
    matrix = ciede2000(first[:, None, :], second[None, :, :])
    assert matrix.shape == (len(SHARMA), len(SHARMA))
    np.testing.assert_allclose(np.diag(matrix), expected, atol=5e-5)
    assert np.all(ciede2000(first, first) == 0)


@pytest.mark.parametrize(
    ("colour", "lab"),
    [
        ("#ffffff", (100.0, 0.0, 0.0)),
        ("#000000", (0.0, 0.0, 0.0)),
        ("#808080", (53.585, 0.0, 0.0)),
        ("#ff0000", (53.2408, 80.0925, 67.2032)),
        ("#00ff00", (87.7347, -86.1827, 83.1793)),
        ("#0000ff", (32.2970, 79.1875, -107.8602)),
    ],
)
def test_hex_to_lab_matches_the_published_srgb_values(colour: str, lab: tuple[float, ...]) -> None:
    np.testing.assert_allclose(hex_to_lab([colour])[0], lab, atol=2e-3)


def test_hex_to_lab_takes_many_colours_and_none() -> None:
    assert hex_to_lab(["#ffffff", "#000000", "#ff0000"]).shape == (3, 3)
    assert hex_to_lab([]).shape == (0, 3)
    assert round(float(ciede2000(hex_to_lab(["#000000"]), hex_to_lab(["#ffffff"]))[0]), 4) == 100
