# Shows the figures that are still open at the end and were never shown (e.g. after a
# backend switch). More than the images left to return is refused before rendering any:
# rendering takes time. Each carries its description, as a displayed figure does (describe.py).


def harvest(room: int, mime: str) -> None:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython import get_ipython
    from IPython.display import display

    open_figures = len(plt.get_fignums())
    if open_figures > room:
        plt.close("all")

        class OutputLimitExceeded(Exception):
            pass

        raise OutputLimitExceeded(f"{open_figures} open figures, over the {room} images left")
    shell = get_ipython()
    describe = None if shell is None else shell.display_formatter.formatters.get(mime)
    for num in plt.get_fignums():
        figure = plt.figure(num)
        buf = io.BytesIO()
        figure.savefig(buf, format="png", bbox_inches="tight")
        bundle = {"image/png": base64.b64encode(buf.getvalue()).decode()}
        description = describe(figure) if describe is not None else None
        if description is not None:
            bundle[mime] = description
        display(bundle, raw=True)  # type: ignore[no-untyped-call]
    plt.close("all")
