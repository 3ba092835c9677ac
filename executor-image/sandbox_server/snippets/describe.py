# Makes every displayed figure carry its description (orchestrator/executor/figures.py is
# the schema) under `mime` in the same display_data bundle as its PNG: a display formatter
# for matplotlib Figures (what plt.show() displays with the inline backend) and, for plotly,
# a PNG renderer that adds it. A description is a JSON string, cut to the caps; describing
# never makes a display fail (any error gives no description). Formatters and renderers
# survive %reset -f.


def describe(
    mime: str,
    max_axes: int,
    max_strings: int,
    max_chars: int,
    max_colours: int,
    max_series: int,
    max_points: int,
) -> None:
    import json
    import math
    import re
    from collections import Counter
    from collections.abc import Callable, Iterable
    from typing import Any

    import matplotlib.colors as mcolors
    import plotly.io as pio
    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from plotly.io._base_renderers import PngRenderer
    from traitlets import ObjectName, Unicode

    rgb = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)")

    def listed(values: object) -> list[Any]:
        # plotly keeps data as numpy arrays, lists or tuples; a scalar or None is no data
        return list(values) if values is not None and not isinstance(values, str | dict) else []  # type: ignore[call-overload]

    def cut(text: object) -> str:
        return str(text)[:max_chars]

    def strings(items: Iterable[object]) -> list[str]:
        return [cut(t) for t in items if str(t).strip()][:max_strings]

    def hex_colour(colour: object) -> str | None:
        try:
            if isinstance(colour, str) and (m := rgb.match(colour)):
                red, green, blue = (float(v) / 255 for v in m.groups())
                return mcolors.to_hex((red, green, blue))
            return mcolors.to_hex(colour)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return None

    def colours_of(items: Iterable[object]) -> list[str]:
        found = (hex_colour(c) for c in items)
        return sorted({c for c in found if c is not None})

    def series(kind: str, values: Iterable[object]) -> dict[str, Any]:
        numbers = []
        for value in values:
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                numbers.append(number)
        size = len(numbers)
        if size > max_points:
            numbers = [numbers[i * size // max_points] for i in range(max_points)]
        return {"kind": kind, "size": size, "values": numbers}

    def axes_entry(
        cell: dict[str, int], projection: str, artists: Counter[str], **fields: Any
    ) -> dict[str, Any]:
        entry = {
            "cell": cell,
            "projection": projection,
            "artists": dict(+artists),
            **fields,
        }
        entry["colours"] = entry.get("colours", [])[:max_colours]
        entry["series"] = entry.get("series", [])[:max_series]
        return entry

    def whole(rows: int = 1, cols: int = 1, row: int = 0, col: int = 0) -> dict[str, int]:
        return {
            "rows": rows,
            "cols": cols,
            "row_start": row,
            "row_end": row + 1,
            "col_start": col,
            "col_end": col + 1,
        }

    # matplotlib and seaborn

    def matplotlib_cell(ax: Any) -> dict[str, int]:
        spec = ax.get_subplotspec()
        if spec is None:
            return whole()
        rows, cols = spec.get_geometry()[:2]
        return {
            "rows": rows,
            "cols": cols,
            "row_start": spec.rowspan.start,
            "row_end": spec.rowspan.stop,
            "col_start": spec.colspan.start,
            "col_end": spec.colspan.stop,
        }

    def matplotlib_axes(ax: Any) -> dict[str, Any]:
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
        from matplotlib.container import BarContainer
        from matplotlib.contour import ContourSet
        from matplotlib.patches import PathPatch, Polygon, Rectangle, Wedge

        artists: Counter[str] = Counter()
        colours: list[object] = []
        data: list[dict[str, Any]] = []
        for line in ax.get_lines():
            kind = "scatter" if line.get_linestyle() in ("None", "", " ") else "line"
            values = series(kind, line.get_ydata())
            if not line.get_visible() or values["size"] == 0:
                continue  # e.g. seaborn's error bar of a one-value group
            artists[kind] += 1
            colours.append(line.get_color())
            data.append(values)
        in_bars: set[int] = set()
        for container in ax.containers:
            if not isinstance(container, BarContainer):
                continue
            bars = [p for p in container.patches if p.get_visible()]
            in_bars.update(id(p) for p in container.patches)
            horizontal = getattr(container, "orientation", "vertical") == "horizontal"
            artists["bar"] += len(bars)
            colours.extend(p.get_facecolor() for p in bars)
            lengths = (p.get_width() if horizontal else p.get_height() for p in bars)
            data.append(series("bar", lengths))
        wedges = []
        for patch in ax.patches:
            if id(patch) in in_bars or not patch.get_visible():
                continue
            if isinstance(patch, Wedge):
                wedges.append(patch)
                continue
            kind = (
                "bar"
                if isinstance(patch, Rectangle)
                else "box"
                if isinstance(patch, PathPatch)
                else "area"
                if isinstance(patch, Polygon)
                else "other"
            )
            artists[kind] += 1
            colours.append(patch.get_facecolor())
        if wedges:
            artists["pie"] += len(wedges)
            colours.extend(w.get_facecolor() for w in wedges)
            data.append(series("pie", (w.theta2 - w.theta1 for w in wedges)))
        for collection in ax.collections:
            if not collection.get_visible():
                continue
            if isinstance(collection, ContourSet):
                kind = "contour"
            elif isinstance(collection, PathCollection):
                kind = "scatter"
                offsets: Any = collection.get_offsets()
                data.append(series(kind, (p[1] for p in offsets)))
            elif isinstance(collection, QuadMesh):
                kind = "image"
                mesh: Any = collection.get_array()
                data.append(series(kind, mesh.ravel() if mesh is not None else []))
            elif isinstance(collection, PolyCollection):
                kind = "area"
            elif isinstance(collection, LineCollection):
                kind = "line"
            else:
                kind = "other"
            artists[kind] += 1
            if collection.get_array() is None:  # not colour-mapped
                faces = collection.get_facecolor()
                colours.extend(faces if len(faces) else collection.get_edgecolor())
        for image in ax.images:
            artists["image"] += 1
            data.append(series("image", image.get_array().ravel()))
        texts = [t.get_text() for t in ax.texts]
        artists["text"] += len([t for t in texts if t.strip()])
        legend = ax.get_legend()
        projection = {"polar": "polar", "3d": "3d"}.get(ax.name, "cartesian")
        return axes_entry(
            matplotlib_cell(ax),
            projection,
            artists,
            title=cut(ax.get_title()),
            xlabel=cut(ax.get_xlabel()),
            ylabel=cut(ax.get_ylabel()),
            xticklabels=strings(t.get_text() for t in ax.get_xticklabels()),
            yticklabels=strings(t.get_text() for t in ax.get_yticklabels()),
            legend=strings(t.get_text() for t in legend.get_texts()) if legend else [],
            texts=strings(texts),
            colours=colours_of(colours),
            series=data,
        )

    def describe_matplotlib(figure: Any) -> dict[str, Any]:
        figure.draw_without_rendering()  # computes the tick labels
        axes = [ax for ax in figure.axes if not hasattr(ax, "_colorbar")][:max_axes]
        described = [matplotlib_axes(ax) for ax in axes]
        for legend in figure.legends:  # a figure legend goes with the first axes
            if described:
                described[0]["legend"] = strings(
                    [*described[0]["legend"], *(t.get_text() for t in legend.get_texts())]
                )
        suptitle = figure._suptitle.get_text() if figure._suptitle is not None else ""
        return {"library": "matplotlib", "title": cut(suptitle), "axes": described}

    # plotly

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

    def domain(layout: dict[str, Any], axis: str, ref: str) -> tuple[float, ...]:
        return tuple(layout.get(f"{axis}axis{ref[1:]}", {}).get("domain", (0, 1)))

    def positions(layout: dict[str, Any], axis: str, refs: list[str]) -> tuple[dict[str, int], int]:
        """Each axis's place among the distinct domains along `axis`, and their number."""
        domains = sorted({domain(layout, axis, ref) for ref in refs})
        return {ref: domains.index(domain(layout, axis, ref)) for ref in refs}, max(1, len(domains))

    def describe_plotly(fig: dict[str, Any]) -> dict[str, Any]:
        layout = fig.get("layout", {})
        traces = fig.get("data", [])
        colorway = layout.get("template", {}).get("layout", {}).get("colorway") or []
        groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for index, trace in enumerate(traces):
            key = (
                ("domain", str(index))
                if "domain" in trace or trace.get("type") == "pie"
                else (trace.get("xaxis", "x"), trace.get("yaxis", "y"))
            )
            groups.setdefault(key, []).append((index, trace))
        xs = [k[0] for k in groups if k[0] != "domain"]
        ys = [k[1] for k in groups if k[0] != "domain"]
        (col_of, cols), (row_of, rows) = positions(layout, "x", xs), positions(layout, "y", ys)
        shown_legend = layout.get("showlegend", len(traces) > 1)
        described = []
        for (xref, yref), members in list(groups.items())[:max_axes]:
            artists: Counter[str] = Counter()
            colours: list[object] = []
            data: list[dict[str, Any]] = []
            legend: list[object] = []
            xticks: list[object] = []
            for index, trace in members:
                kind = plotly_kind(trace)
                horizontal = trace.get("orientation") == "h"
                values = listed(trace.get("x" if horizontal else "y"))
                if kind == "pie":
                    values = listed(trace.get("values"))
                    legend.extend(listed(trace.get("labels")))
                elif kind == "image":
                    values = [v for row in listed(trace.get("z")) for v in listed(row)]
                artists[kind] += len(values) if kind in ("bar", "pie") and values else 1
                data.append(series(kind, values))
                marker = trace.get("marker", {})
                colour = marker.get("color") or trace.get("line", {}).get("color")
                if kind == "pie":
                    slices = listed(marker.get("colors")) or colorway[: len(values)]
                    colours.extend(slices)
                elif isinstance(colour, str):
                    colours.append(colour)
                elif colour is None and colorway:
                    colours.append(colorway[index % len(colorway)])
                if shown_legend and trace.get("name") and trace.get("showlegend", True):
                    legend.append(trace["name"])
                categories = listed(trace.get("y" if horizontal else "x"))
                xticks.extend(c for c in categories if isinstance(c, str))
            if xref == "domain":
                cell, projection, xaxis, yaxis = whole(), "domain", {}, {}
            else:
                # plotly's y domains grow upwards; grid rows count from the top
                cell = whole(rows, cols, rows - 1 - row_of[yref], col_of[xref])
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
                    colours=colours_of(colours),
                    series=data,
                )
            )
        annotations = [a.get("text", "") for a in layout.get("annotations", [])]
        if described and annotations:  # subplot titles and annotations
            described[0]["texts"] = strings(annotations)
            described[0]["artists"]["text"] = len(described[0]["texts"])
        return {"library": "plotly", "title": text_of(layout.get("title")), "axes": described}

    def quietly(build: Callable[[Any], dict[str, Any]], figure: Any) -> str | None:
        try:
            return json.dumps(build(figure))
        except Exception:
            return None

    class FigureFormatter(BaseFormatter):
        format_type = Unicode(mime)
        print_method = ObjectName("_repr_figure_description_")

    formatters = get_ipython().display_formatter
    formatter = FigureFormatter(parent=formatters)
    formatter.for_type(  # type: ignore[no-untyped-call]
        Figure, lambda figure: quietly(describe_matplotlib, figure)
    )
    formatters.formatters[mime] = formatter
    if mime not in formatters.active_types:
        formatters.active_types = [*formatters.active_types, mime]

    class DescribedPng(PngRenderer):  # type: ignore[misc]
        def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
            bundle: dict[str, Any] = super().to_mimebundle(fig_dict)
            description = quietly(describe_plotly, fig_dict)
            if description is not None:
                bundle[mime] = description
            return bundle

    png = pio.renderers["png"]
    pio.renderers["png"] = DescribedPng(
        width=png.width, height=png.height, scale=png.scale, engine=png.engine
    )
