# The plotly part of describe.py: given describe()'s shared helpers and caps (a namespace),
# it returns the function that describes a plotly figure, as a dict.


def describe_plotly(h: object) -> object:
    import math
    import re
    from collections import Counter
    from collections.abc import Callable, Iterable
    from typing import Any

    shared: dict[str, Any] = vars(h)  # describe()'s helpers and caps
    listed: Callable[[object], list[Any]] = shared["listed"]
    cut: Callable[[object], str] = shared["cut"]
    strings: Callable[[Iterable[object]], list[str]] = shared["strings"]
    numbers_in: Callable[[Iterable[object]], list[float]] = shared["numbers_in"]
    series: Callable[[str, Iterable[object]], dict[str, Any]] = shared["series"]
    axes_entry: Callable[..., dict[str, Any]] = shared["axes_entry"]
    max_axes: int = shared["max_axes"]

    Domain = tuple[tuple[float, float], tuple[float, float]]  # x and y, figure fractions

    hex_or_rgb = re.compile(
        r"#([\da-f]{6})(?:[\da-f]{2})?|#([\da-f]{3})[\da-f]?"
        r"|rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)"
    )

    def plotly_hex(colour: object) -> str | None:
        if not isinstance(colour, str):
            return None  # a number, mapped through a colour scale
        text = colour.strip().lower()
        if m := hex_or_rgb.match(text):
            six, three, *rgb = m.groups()
            if six or three:
                return "#" + (six or "".join(2 * c for c in three))
            if all(v is not None for v in rgb):
                return "#" + "".join(f"{min(255, round(float(v))):02x}" for v in rgb)
        try:  # a CSS name, hsl() or hsv(); plotly takes no other form
            from PIL.ImageColor import getrgb

            return "#" + "".join(f"{v:02x}" for v in getrgb(text)[:3])
        except (ImportError, ValueError):
            return None

    def text_of(title: object) -> str:
        if isinstance(title, dict):
            return cut(title.get("text") or "")
        return cut(title or "")

    def plotly_kind(trace: dict[str, Any]) -> str:
        kind = trace.get("type", "scatter")
        if kind in ("scatter", "scattergl"):
            if trace.get("fill") not in (None, "none"):
                return "area"
            mode = trace.get("mode") or "lines+markers"
            return "line" if "lines" in mode else "scatter"
        named = {"bar": "bar", "histogram": "bar", "heatmap": "image", "image": "image"}
        named |= {"pie": "pie", "box": "box", "violin": "area", "contour": "contour"}
        return named.get(kind, "other")

    def span(values: object) -> tuple[float, float]:
        pair = listed(values)
        return (float(pair[0]), float(pair[1])) if len(pair) == 2 else (0.0, 1.0)

    def axes_domain(layout: dict[str, Any], xref: str, yref: str) -> Domain:
        x = layout.get(f"xaxis{xref[1:]}", {}).get("domain")
        y = layout.get(f"yaxis{yref[1:]}", {}).get("domain")
        return span(x), span(y)

    def trace_domain(layout: dict[str, Any], trace: dict[str, Any]) -> Domain:
        """A pie's (or other domain trace's) place: its layout.grid cell if it names one,
        else its x and y fractions."""
        domain = trace.get("domain") or {}
        grid = layout.get("grid") or {}
        rows, cols = grid.get("rows"), grid.get("columns")
        if rows and cols and ("row" in domain or "column" in domain):
            row, col = domain.get("row", 0), domain.get("column", 0)
            if grid.get("roworder") != "bottom to top":
                row = rows - 1 - row
            return (col / cols, (col + 1) / cols), (row / rows, (row + 1) / rows)
        return span(domain.get("x")), span(domain.get("y"))

    def grid_cells(layout: dict[str, Any], domains: list[Domain]) -> list[dict[str, int]]:
        """Each domain's cell in the grid whose columns start at the distinct left edges and
        whose rows start at the distinct top edges (a grid counts rows from the top, plotly's
        y from the bottom) of the domains, of every axis in the layout and of the cells of
        its layout.grid, so that empty cells count too."""
        left_edges = {x[0] for x, _ in domains}
        top_edges = {y[1] for _, y in domains}
        for name, axis in layout.items():
            if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
                low, high = span(axis.get("domain"))
                if name[0] == "x":
                    left_edges.add(low)
                else:
                    top_edges.add(high)
        grid = layout.get("grid") or {}
        if grid.get("rows") and grid.get("columns"):
            left_edges.update(c / grid["columns"] for c in range(grid["columns"]))
            top_edges.update((r + 1) / grid["rows"] for r in range(grid["rows"]))
        lefts = sorted({round(v, 6) for v in left_edges})
        tops = sorted({round(v, 6) for v in top_edges}, reverse=True)
        rounded = [tuple(tuple(round(v, 6) for v in pair) for pair in d) for d in domains]
        cells = []
        for (x0, x1), (y0, y1) in rounded:
            col, row = lefts.index(x0), tops.index(y1)
            cells.append(
                {
                    "rows": len(tops),
                    "cols": len(lefts),
                    "row_start": row,
                    "row_end": max(row + 1, sum(1 for top in tops if top > y0)),
                    "col_start": col,
                    "col_end": max(col + 1, sum(1 for left in lefts if left < x1)),
                }
            )
        return cells

    def sorted_positions(positions: list[Any]) -> list[Any]:
        """Distinct positions as plotly orders them on the axis: numbers by value, anything
        else (categories) as they first appear."""
        distinct = list(dict.fromkeys(positions))
        if len(numbers_in(distinct)) == len(distinct):
            return sorted(distinct, key=float)
        return distinct

    def quartiles(values: list[float], method: str) -> tuple[float, float, float]:
        def interp(part: list[float], p: float) -> float:  # plotly's "linear" quantile
            n = min(max(p * len(part) - 0.5, 0), len(part) - 1)
            low = math.floor(n)
            return part[low] + (n - low) * (part[math.ceil(n)] - part[low])

        size, half = len(values), len(values) // 2
        if size % 2 and method in ("exclusive", "inclusive"):
            lower, upper = (
                (values[:half], values[half + 1 :])
                if method == "exclusive"
                else (values[: half + 1], values[half:])
            )
            if lower and upper:
                return interp(lower, 0.5), interp(values, 0.5), interp(upper, 0.5)
        return interp(values, 0.25), interp(values, 0.5), interp(values, 0.75)

    def box_stats(trace: dict[str, Any]) -> list[list[float]]:
        """Each box of a plotly box trace as (lower fence, q1, median, q3, upper fence),
        computed as plotly.js does, or as given when the trace gives its quartiles."""
        if first := listed(trace.get("q1")):
            given = [listed(trace.get(k)) for k in ("lowerfence", "median", "q3", "upperfence")]
            lower, middle, third, upper = (g + [None] * (len(first) - len(g)) for g in given)
            rows = zip(lower, first, middle, third, upper, strict=False)
            return [numbers_in(row) for row in rows]
        # plotly.js lays a box down when it has x data only
        horizontal = trace.get("orientation", "v" if "y" in trace else "h") == "h"
        values = listed(trace.get("x" if horizontal else "y"))
        positions = listed(trace.get("y" if horizontal else "x")) or [None] * len(values)
        groups: dict[Any, list[float]] = {p: [] for p in sorted_positions(positions)}
        for position, value in zip(positions, values, strict=False):
            if position in groups:
                groups[position].extend(numbers_in([value]))
        boxes = []
        for group in groups.values():
            if not group:
                continue
            group.sort()
            q1, median, q3 = quartiles(group, trace.get("quartilemethod", "linear"))
            low = next(v for v in group if v >= q1 - 1.5 * (q3 - q1))
            high = next(v for v in reversed(group) if v <= q3 + 1.5 * (q3 - q1))
            boxes.append([min(q1, low), q1, median, q3, max(q3, high)])
        return boxes

    def bins_of(full: dict[str, Any]) -> dict[str, Any] | None:
        """The start, end and size of a histogram's bins, if the full trace has them all."""
        bins = full.get("ybins" if full.get("orientation") == "h" else "xbins")
        return bins if isinstance(bins, dict) and {"start", "end", "size"} <= set(bins) else None

    def histogram_values(
        trace: dict[str, Any],
        full: dict[str, Any],
        layout: dict[str, Any],
        group_bins: dict[str, dict[str, Any]],
    ) -> list[float] | None:
        """A plotly histogram's bar heights, bin by bin as plotly.js bins them, from the
        bins kaleido worked out: `full` is the trace with its defaults and bins (or, when it
        shares them, its bingroup has them in `group_bins`), `layout` the full layout. None
        for bins on a date or log axis."""
        letter, other = ("y", "x") if full.get("orientation") == "h" else ("x", "y")
        samples = listed(trace.get(letter))
        axis = layout.get(f"{letter}axis{full.get(f'{letter}axis', letter)[1:]}", {})
        func, weights = full.get("histfunc", "count"), listed(trace.get(other))
        if func == "count" or not weights:  # plotly counts when there is nothing to sum
            func, weights = "count", [1] * len(samples)
        if axis.get("type") == "category":
            keys = [None if s is None else str(s) for s in samples]
            order = {key: i for i, key in enumerate(dict.fromkeys(k for k in keys if k))}
            places = [order.get(k, -1) if k else -1 for k in keys]
            width, count = 1.0, len(order)
        elif axis.get("type") == "linear":
            bins = bins_of(full) or group_bins[full["bingroup"]]
            start, end, width = (float(bins[k]) for k in ("start", "end", "size"))
            count = math.ceil((end - start) / width - 1e-6)
            places = [
                math.floor((n[0] - start) / width + 1e-9) if (n := numbers_in([s])) else -1
                for s in samples
            ]
        else:
            return None
        members: list[list[float]] = [[] for _ in range(count)]
        for at, weight in zip(places, weights, strict=False):
            if 0 <= at < count and (numbers := numbers_in([weight])):
                members[at].append(numbers[0])
        aggregates: dict[str, Callable[[list[float]], float]] = {
            "count": len,
            "sum": math.fsum,
            "avg": lambda m: math.fsum(m) / len(m) if m else 0.0,
            "min": lambda m: min(m, default=0.0),
            "max": lambda m: max(m, default=0.0),
        }
        heights = [float(aggregates.get(func, len)(m)) for m in members]
        norm, total = full.get("histnorm", ""), math.fsum(heights) or 1.0
        cumulative = full.get("cumulative", {})
        if cumulative.get("enabled"):
            norm = norm.removesuffix("density").strip()  # as plotly.js: no density when summed up
        scale = {"percent": 100 / total, "probability": 1 / total, "density": 1 / width}
        scale["probability density"] = 1 / (total * width)
        heights = [h * scale.get(norm, 1.0) for h in heights]
        if cumulative.get("enabled"):
            backwards = cumulative.get("direction") == "decreasing"
            running = 0.0
            for i in reversed(range(count)) if backwards else range(count):
                running += heights[i]
                heights[i] = running
        return heights

    def describe_figure(fig: dict[str, Any]) -> dict[str, Any]:
        layout = fig.get("layout", {})
        traces = fig.get("data", [])
        colorway = layout.get("template", {}).get("layout", {}).get("colorway") or []
        full_data: list[dict[str, Any]] = []
        full_layout: dict[str, Any] = {}
        if any(trace.get("type") == "histogram" for trace in traces):
            from plotly.io import full_figure_for_development

            full = full_figure_for_development(fig, warn=False, as_dict=True)
            full_data, full_layout = full.get("data", []), full.get("layout", {})
        group_bins: dict[str, dict[str, Any]] = {}
        for full_trace in full_data:  # a bingroup's bins are on the first of its traces
            if full_trace.get("bingroup") and (bins := bins_of(full_trace)):
                group_bins.setdefault(full_trace["bingroup"], bins)
        groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for index, trace in enumerate(traces):
            if trace.get("visible") is False:
                continue
            key = (
                ("domain", str(index))
                if "domain" in trace or trace.get("type") == "pie"
                else (trace.get("xaxis", "x"), trace.get("yaxis", "y"))
            )
            groups.setdefault(key, []).append((index, trace))
        kept = list(groups.items())[:max_axes]
        domains = [
            trace_domain(layout, members[0][1]) if key[0] == "domain" else axes_domain(layout, *key)
            for key, members in kept
        ]
        shown_legend = layout.get("showlegend", len(traces) > 1)
        described = []
        for ((xref, yref), members), cell in zip(kept, grid_cells(layout, domains), strict=True):
            artists: Counter[str] = Counter()
            colours: list[object] = []
            data: list[dict[str, Any]] = []
            legend: list[object] = []
            xticks: list[object] = []
            for index, trace in members:
                kind = plotly_kind(trace)
                horizontal = trace.get("orientation") == "h"
                if kind == "box":
                    boxes = box_stats(trace)
                    artists[kind] += len(boxes)
                    data.extend(series(kind, box) for box in boxes)
                elif kind == "image":
                    artists[kind] += 1
                    data.append(
                        series(kind, (v for r in listed(trace.get("z")) for v in listed(r)))
                    )
                elif trace.get("type") == "histogram":
                    heights = histogram_values(trace, full_data[index], full_layout, group_bins)
                    artists[kind] += len(heights) if heights else 1
                    if heights is not None:
                        data.append(series(kind, heights))
                else:
                    values = listed(trace.get("x" if horizontal else "y"))
                    if kind == "pie":
                        values = listed(trace.get("values"))
                        legend.extend(listed(trace.get("labels")))
                    artists[kind] += len(values) if kind in ("bar", "pie") and values else 1
                    data.append(series(kind, values))
                marker = trace.get("marker", {})
                colour = marker.get("color") or trace.get("line", {}).get("color")
                if kind == "pie":
                    count = len(listed(trace.get("values")))
                    colours.extend(listed(marker.get("colors")) or colorway[:count])
                elif isinstance(colour, str):
                    colours.append(colour)
                elif colour is None and colorway:
                    colours.append(colorway[index % len(colorway)])
                if shown_legend and trace.get("name") and trace.get("showlegend", True):
                    legend.append(trace["name"])
                categories = listed(trace.get("y" if horizontal else "x"))
                xticks.extend(c for c in categories if isinstance(c, str))
            if xref == "domain":
                projection, xaxis, yaxis = "domain", {}, {}
            else:
                projection = "cartesian"
                xaxis = layout.get(f"xaxis{xref[1:]}", {})
                yaxis = layout.get(f"yaxis{yref[1:]}", {})
            described.append(
                axes_entry(
                    cell,
                    projection,
                    artists,
                    xlabel=text_of(xaxis.get("title")),
                    ylabel=text_of(yaxis.get("title")),
                    xticklabels=strings(listed(xaxis.get("ticktext")) or dict.fromkeys(xticks)),
                    yticklabels=strings(listed(yaxis.get("ticktext"))),
                    legend=strings(legend),
                    colours=[c for c in map(plotly_hex, colours) if c is not None],
                    series=data,
                )
            )
        annotations = [a.get("text", "") for a in layout.get("annotations", [])]
        if described and annotations:  # subplot titles and annotations
            described[0]["texts"] = strings(annotations)
            described[0]["artists"]["text"] = len(described[0]["texts"])
        return {"library": "plotly", "title": text_of(layout.get("title")), "axes": described}

    build: Callable[[Any], dict[str, Any]] = describe_figure
    return build
