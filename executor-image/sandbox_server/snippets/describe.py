# Makes every displayed figure carry its description (orchestrator/executor/figures.py is
# the schema) under `mime` in the same display_data bundle as its PNG: a display formatter
# for matplotlib Figures (what plt.show() displays with the inline backend) and, for plotly,
# a PNG renderer that adds it. A description is a JSON string, cut to the caps; describing
# never makes a display fail (any error gives no description). Installing imports neither
# library: the formatter waits for matplotlib.figure by name, and the renderer is put in
# place when plotly.io._renderers (which holds pio.renderers) has run. Formatters, renderers
# and the import hook survive %reset -f. The describing itself is in describe_matplotlib.py
# and describe_plotly.py (kernel_code's parts), each passed in as a function that takes the
# helpers and caps below, as a namespace, and returns its library's builder.


def describe(
    describe_matplotlib: object,
    describe_plotly: object,
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
    import sys
    from collections import Counter
    from collections.abc import Callable, Iterable, Sequence
    from contextlib import suppress
    from importlib.abc import Loader, MetaPathFinder
    from importlib.machinery import ModuleSpec, PathFinder
    from types import ModuleType, SimpleNamespace
    from typing import Any, cast

    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    def listed(values: object) -> list[Any]:
        # plotly keeps data as numpy arrays, lists or tuples; a scalar or None is no data
        return list(values) if values is not None and not isinstance(values, str | dict) else []  # type: ignore[call-overload]

    def cut(text: object) -> str:
        return str(text)[:max_chars]

    def strings(items: Iterable[object]) -> list[str]:
        return [cut(t) for t in items if str(t).strip()][:max_strings]

    def numbers_in(values: Iterable[object]) -> list[float]:
        numbers = []
        for value in values:
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if math.isfinite(number):
                numbers.append(number)
        return numbers

    def series(kind: str, values: Iterable[object]) -> dict[str, Any]:
        numbers = numbers_in(values)
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
        entry["colours"] = sorted(set(entry.get("colours", [])))[:max_colours]
        entry["series"] = entry.get("series", [])[:max_series]
        return entry

    Build = Callable[[Any], dict[str, Any]]
    shared = SimpleNamespace(
        listed=listed,
        cut=cut,
        strings=strings,
        numbers_in=numbers_in,
        series=series,
        axes_entry=axes_entry,
        max_axes=max_axes,
        max_strings=max_strings,
        max_chars=max_chars,
        max_colours=max_colours,
        max_series=max_series,
        max_points=max_points,
    )
    build_matplotlib = cast(Callable[[object], Build], describe_matplotlib)(shared)
    build_plotly = cast(Callable[[object], Build], describe_plotly)(shared)

    # installing

    def quietly(build: Build, figure: Any) -> str | None:
        try:
            return json.dumps(build(figure))
        except Exception:
            return None

    class FigureFormatter(BaseFormatter):
        format_type = Unicode(mime)
        print_method = ObjectName("_repr_figure_description_")

        def pop(self, typ: Any, default: Any = None) -> Any:
            # Whenever the inline backend (re)selects its image formats, it pops every
            # formatter's Figure printer, this one's too: it stays.
            return default

    formatters = get_ipython().display_formatter
    formatter = FigureFormatter(parent=formatters)
    formatter.for_type_by_name(  # type: ignore[no-untyped-call]
        "matplotlib.figure", "Figure", lambda figure: quietly(build_matplotlib, figure)
    )
    formatters.formatters[mime] = formatter
    if mime not in formatters.active_types:
        formatters.active_types = [*formatters.active_types, mime]

    renderers_module = "plotly.io._renderers"

    def describe_plotly_pngs() -> None:
        from plotly.io._base_renderers import PngRenderer
        from plotly.io._renderers import renderers

        class DescribedPng(PngRenderer):  # type: ignore[misc]
            def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
                bundle: dict[str, Any] = super().to_mimebundle(fig_dict)
                description = quietly(build_plotly, fig_dict)
                if description is not None:
                    bundle[mime] = description
                return bundle

        png = renderers["png"]
        renderers["png"] = DescribedPng(
            width=png.width, height=png.height, scale=png.scale, engine=png.engine
        )
        if "png" in renderers.default.split("+"):  # the default holds the renderers it names
            renderers.default = renderers.default

    class ThenDescribe(Loader):
        """Runs the module, then installs the renderer; the module keeps its own loader."""

        def __init__(self, loader: Loader) -> None:
            self.loader = loader

        def create_module(self, spec: ModuleSpec) -> ModuleType | None:
            return self.loader.create_module(spec)

        def exec_module(self, module: ModuleType) -> None:
            module.__loader__ = self.loader
            if module.__spec__ is not None:
                module.__spec__.loader = self.loader
            self.loader.exec_module(module)
            with suppress(Exception):  # plotly still works, undescribed
                describe_plotly_pngs()

    class RenderersHook(MetaPathFinder):
        """Finds plotly.io._renderers as the path finder would, to describe once it has
        run, and leaves sys.meta_path at its first use."""

        def find_spec(
            self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
        ) -> ModuleSpec | None:
            if name != renderers_module:
                return None
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or spec.loader is None:
                return None
            sys.meta_path.remove(self)  # safe: returning a spec ends the finders' loop
            spec.loader = ThenDescribe(spec.loader)
            return spec

    if renderers_module in sys.modules:
        describe_plotly_pngs()
    else:
        sys.meta_path.insert(0, RenderersHook())
