"""The wire shape of a figure description: what the sandbox says it drew, beside each PNG.

The sandbox describes every figure it returns (matplotlib and seaborn from the Figure
object, plotly from the figure's dict) and the host checks each description against this
schema on its own: one that does not fit is dropped (the image stays, described as None),
never trusted further. Every list and string is capped here; the sandbox caps to the same
numbers, so an honest description always fits.

The vocabulary is the libraries' common ground: an axes is a cell of a grid, its artists
are of the ArtistKind kinds, and each data series is a list of numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# The caps, the MIME type and the version are shared with the sandbox, which builds
# descriptions to them.
from sandbox_server.protocol import DESCRIPTION_VERSION as DESCRIPTION_VERSION
from sandbox_server.protocol import (
    MAX_AXES,
    MAX_COLOURS,
    MAX_POINTS,
    MAX_SERIES,
    MAX_STRING_CHARS,
    MAX_STRINGS,
)

# line: a connected line (Line2D with a line style; plotly scatter in a lines mode).
# scatter: markers without a line. bar: bars and histogram bins (plotly's as plotly.js bins
# them). area: filled regions (fill_between, stackplot, violins' bodies, plotly fill).
# image: imshow, heatmaps, pcolormesh. pie: wedges. box: one per box of a box plot, its
# whiskers, caps, median and fliers included (matplotlib's and seaborn's boxes, plotly's box
# traces). contour: contour lines and fills. text: annotations placed on the axes.
# other: anything else drawn with data.
ArtistKind = Literal[
    "line", "scatter", "bar", "area", "image", "pie", "box", "contour", "text", "other"
]

Text = Annotated[str, Field(max_length=MAX_STRING_CHARS)]
Texts = Annotated[list[Text], Field(max_length=MAX_STRINGS)]
HexColour = Annotated[str, Field(pattern=r"^#[0-9a-f]{6}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Series(_Strict):
    """One artist's data: `values` along its value axis (a bar's length, a point's y, a
    wedge's size, an image's cells row by row, a box's low whisker end, quartiles and high
    whisker end), at most MAX_POINTS of them, sampled evenly; `size` is how many there were
    before sampling."""

    kind: ArtistKind
    size: Annotated[int, Field(ge=0)]
    values: Annotated[list[float], Field(max_length=MAX_POINTS)]


class GridCell(_Strict):
    """Where an axes sits in its figure's grid of `rows` x `cols`: the rows and columns it
    spans, 0-based, end exclusive."""

    rows: Annotated[int, Field(ge=1, le=MAX_AXES)]
    cols: Annotated[int, Field(ge=1, le=MAX_AXES)]
    row_start: Annotated[int, Field(ge=0)]
    row_end: Annotated[int, Field(ge=1)]
    col_start: Annotated[int, Field(ge=0)]
    col_end: Annotated[int, Field(ge=1)]


class AxesDescription(_Strict):
    cell: GridCell
    # polar and 3d axes, and plotly's domain-only traces (pie), are not cartesian
    projection: Literal["cartesian", "polar", "3d", "domain"] = "cartesian"
    title: Text = ""
    xlabel: Text = ""
    ylabel: Text = ""
    xticklabels: Texts = []
    yticklabels: Texts = []
    legend: Texts = []
    texts: Texts = []  # annotations and other text artists on the axes
    artists: Annotated[dict[ArtistKind, Annotated[int, Field(ge=0)]], Field(max_length=16)] = {}
    colours: Annotated[list[HexColour], Field(max_length=MAX_COLOURS)] = []
    series: Annotated[list[Series], Field(max_length=MAX_SERIES)] = []


class FigureDescription(_Strict):
    library: Literal["matplotlib", "plotly"]
    version: int = DESCRIPTION_VERSION
    title: Text = ""  # the figure's own title: suptitle, or plotly's layout title
    axes: Annotated[list[AxesDescription], Field(max_length=MAX_AXES)] = []
