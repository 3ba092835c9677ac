# Shows the figures that are still open at the end and were never shown (e.g. after a
# backend switch). More than the images left to return is refused before rendering any:
# rendering takes time.


def harvest(room: int) -> None:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    open_figures = len(plt.get_fignums())
    if open_figures > room:
        plt.close("all")

        class OutputLimitExceeded(Exception):
            pass

        raise OutputLimitExceeded(f"{open_figures} open figures, over the {room} images left")
    for num in plt.get_fignums():
        buf = io.BytesIO()
        plt.figure(num).savefig(buf, format="png", bbox_inches="tight")
        display(Image(data=buf.getvalue(), format="png"))  # type: ignore[no-untyped-call]
    plt.close("all")
