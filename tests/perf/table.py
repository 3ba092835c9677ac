"""Plain-text tables for the perf reports."""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The first column left-aligned, the others right-aligned, each as wide as it needs."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], digits: int = 1) -> str:
    """The median, and the range when there is more than one value: `12.3 (11.9-13.0)`."""
    middle = f"{median(values):.{digits}f}"
    if len(values) < 2:
        return middle
    return f"{middle} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def notes(*lines: str) -> str:
    """Each note wrapped to 100 columns, indented under the table it explains."""
    return "\n".join(
        textwrap.fill(line, 100, initial_indent="  ", subsequent_indent="    ") for line in lines
    )
