# Imports the plotting stack and draws once with each library, so the first real cell
# does not pay for it; the server wipes the user namespace afterwards. Plotly's renderer is
# left as a fresh kernel has it (no PNG from fig.show()): a cell that wants PNGs sets it.


def warmup() -> None:
    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    import matplotlib.pyplot as plt
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import plotly.express  # noqa: F401
    import plotly.graph_objects as go
    import plotly.io as pio
    import scipy  # noqa: F401
    import seaborn  # noqa: F401

    pio.to_image(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), format="png")  # starts kaleido
    plt.figure()
    plt.plot([0, 1])
    plt.close("all")
