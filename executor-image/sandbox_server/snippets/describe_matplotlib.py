# The matplotlib (and seaborn) part of describe.py: given describe()'s shared helpers and
# caps (a namespace), it returns the function that describes a matplotlib Figure.


def describe_matplotlib(h: object) -> object:
    from collections import Counter
    from collections.abc import Callable, Iterable
    from typing import Any

    shared: dict[str, Any] = vars(h)  # describe()'s helpers and caps
    cut: Callable[[object], str] = shared["cut"]
    strings: Callable[[Iterable[object]], list[str]] = shared["strings"]
    series: Callable[[str, Iterable[object]], dict[str, Any]] = shared["series"]
    axes_entry: Callable[..., dict[str, Any]] = shared["axes_entry"]
    max_axes: int = shared["max_axes"]

    def whole() -> dict[str, int]:
        return {"rows": 1, "cols": 1, "row_start": 0, "row_end": 1, "col_start": 0, "col_end": 1}

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

    def box_plots(ax: Any) -> tuple[list[tuple[Any, list[float]]], set[int]]:
        """The boxes of box plots on `ax`, each with its values (low whisker end, first
        quartile, median, third quartile, high whisker end), and the ids of every artist
        that draws them. A box is a closed path (a PathPatch, or a Line2D without
        patch_artist) with a whisker: a two-point line through its middle from one of its
        edges outwards. Its caps and median cross its middle; its fliers and mean lie on it."""
        from matplotlib.patches import PathPatch

        lines = [line for line in ax.get_lines() if line.get_visible()]
        candidates: list[tuple[Any, Any]] = [
            (p, p.get_path().vertices)
            for p in ax.patches
            if isinstance(p, PathPatch) and p.get_visible()
        ]
        candidates += [
            (line, points)
            for line in lines
            if len(points := line.get_xydata()) >= 5 and (points[0] == points[-1]).all()
        ]
        segments = [(line, line.get_xydata()) for line in lines if len(line.get_xydata()) == 2]
        markers = [line for line in lines if line.get_linestyle() in ("None", "", " ")]
        boxes: list[tuple[Any, list[float]]] = []
        claimed: set[int] = set()
        for artist, points in candidates:
            for along in (0, 1):  # the axis of positions: x for upright boxes, y for lying
                pos, val = points[:, along], points[:, 1 - along]
                low, high = val.min(), val.max()
                middle, pos_tol = (pos.min() + pos.max()) / 2, 1e-6 * (pos.max() - pos.min())
                val_tol = 1e-9 * max(high - low, abs(high), abs(low), 1e-300)

                def on_middle(positions: Any, middle: float = middle, tol: float = pos_tol) -> bool:
                    return bool((abs(positions - middle) <= tol).all())

                ends: dict[str, float] = {}
                crossing: list[tuple[Any, float]] = []
                for line, xy in segments:
                    (v0, v1), across = xy[:, 1 - along], xy[:, along]
                    if on_middle(across):  # a whisker when it leaves the box at an edge
                        for start, end in ((v0, v1), (v1, v0)):
                            if abs(start - low) <= val_tol and end <= low + val_tol:
                                ends["low"] = end
                            elif abs(start - high) <= val_tol and end >= high - val_tol:
                                ends["high"] = end
                            else:
                                continue
                            claimed.add(id(line))
                            break
                    elif abs(v0 - v1) <= val_tol and on_middle(across.mean()):
                        crossing.append((line, v0))
                if not ends:
                    continue
                claimed.update(id(line) for line, _ in crossing)  # caps, the median, a mean line
                claimed.update(id(m) for m in markers if on_middle(m.get_xydata()[:, along]))
                claimed.add(id(artist))
                medians = [v for _, v in crossing if low < v < high][:1]
                boxes.append(
                    (artist, [ends.get("low", low), low, *medians, high, ends.get("high", high)])
                )
                break
        return boxes, claimed

    def matplotlib_axes(ax: Any) -> dict[str, Any]:
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
        from matplotlib.colors import to_hex
        from matplotlib.container import BarContainer
        from matplotlib.contour import ContourSet
        from matplotlib.patches import Patch, Polygon, Rectangle, Wedge

        def hex_colour(colour: Any) -> str | None:
            try:
                return to_hex(colour)
            except (ValueError, TypeError):
                return None

        artists: Counter[str] = Counter()
        colours: list[object] = []
        data: list[dict[str, Any]] = []
        boxes, in_boxes = box_plots(ax)
        for artist, stats in boxes:  # in drawing order, as plotly's boxes go trace by trace
            artists["box"] += 1
            if not isinstance(artist, Patch):
                colours.append(artist.get_color())
            else:
                colours.append(
                    artist.get_facecolor() if artist.get_fill() else artist.get_edgecolor()
                )
            data.append(series("box", stats))
        for line in ax.get_lines():
            if id(line) in in_boxes:
                continue
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
            if id(patch) in in_bars or id(patch) in in_boxes or not patch.get_visible():
                continue
            if isinstance(patch, Wedge):
                wedges.append(patch)
                continue
            if isinstance(patch, Rectangle):
                if patch.get_width() == 0 and patch.get_height() == 0:
                    continue  # seaborn's stand-ins for legend entries
                kind = "bar"
            else:
                kind = "area" if isinstance(patch, Polygon) else "other"
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
                if not collection.get_paths():
                    continue  # e.g. seaborn's error band of one value per x
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
            colours=[c for c in map(hex_colour, colours) if c is not None],
            series=data,
        )

    def describe_figure(figure: Any) -> dict[str, Any]:
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

    build: Callable[[Any], dict[str, Any]] = describe_figure
    return build
