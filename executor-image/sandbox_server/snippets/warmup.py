# Imports what the sandbox's library needs and draws once with it, so the first real cell
# does not pay for it; the server wipes the user namespace afterwards. No library (None)
# warms all three. Plotly's renderer is left as a fresh kernel has it (no PNG from
# fig.show()): a cell that wants PNGs sets it.


def warmup(library: str | None) -> None:
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    if library in (None, "matplotlib", "seaborn"):
        import matplotlib

        matplotlib.use("module://matplotlib_inline.backend_inline")
        import matplotlib.pyplot as plt

        plt.figure()
        plt.plot([0, 1])
        plt.close("all")
    if library in (None, "seaborn"):
        import seaborn  # noqa: F401
    if library in (None, "plotly"):
        import plotly.express  # noqa: F401
        import plotly.graph_objects as go
        import plotly.io as pio

        pio.to_image(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), format="png")  # starts kaleido
