"""The perf benchmarks' workload: one small CSV and 8 plotting snippets per library, like the
benchmark's items (read the CSV with pandas, draw one figure, show it)."""

from __future__ import annotations

from orchestrator.executor.api import Library

REGIONS = ("North", "South", "East", "West")
PRODUCTS = ("Widget", "Gadget", "Gizmo")


def _rows() -> list[str]:
    rows = []
    for m in range(24):
        for r, region in enumerate(REGIONS):
            for p, product in enumerate(PRODUCTS):
                units = 20 + (m * 37 + r * 11 + p * 53) % 60
                price = 5 + p * 3 + (m * 7 + r) % 4
                rows.append(
                    f"{2023 + m // 12}-{m % 12 + 1:02d},{region},{product},{units},{price},"
                    f"{units * price}\n"
                )
    return rows


CSV = "month,region,product,units,price,revenue\n" + "".join(_rows())
LOAD = 'import pandas as pd\ndf = pd.read_csv("data.csv")\n'
PLOTLY_PNG = 'import plotly.io as pio\npio.renderers.default = "png"\n'  # as the bench's cells

_PLT = "import matplotlib.pyplot as plt\n"
_SNS = "import matplotlib.pyplot as plt\nimport seaborn as sns\n"
_PX = PLOTLY_PNG + "import plotly.express as px\n"

MATPLOTLIB = {
    "bar": _PLT
    + """
totals = df.groupby("region")["revenue"].sum().sort_values()
plt.figure(figsize=(8, 5))
plt.bar(totals.index, totals.values, color="steelblue")
plt.title("Revenue by region")
plt.ylabel("revenue")
plt.show()
""",
    "lines": _PLT
    + """
monthly = df.pivot_table(index="month", columns="region", values="revenue", aggfunc="sum")
fig, ax = plt.subplots(figsize=(10, 5))
for region in monthly.columns:
    ax.plot(monthly.index, monthly[region], marker="o", label=region)
ax.set_xticks(range(0, len(monthly), 3))
ax.set_xticklabels(monthly.index[::3], rotation=45)
ax.legend(title="region")
ax.set_title("Monthly revenue")
plt.tight_layout()
plt.show()
""",
    "scatter": _PLT
    + """
fig, ax = plt.subplots(figsize=(7, 5))
for product, part in df.groupby("product"):
    ax.scatter(part["price"], part["units"], label=product, alpha=0.6)
ax.set_xlabel("price")
ax.set_ylabel("units")
ax.legend()
plt.show()
""",
    "hist": _PLT
    + """
plt.hist(df["units"], bins=20, edgecolor="black")
plt.axvline(df["units"].mean(), color="red", linestyle="--", label="mean")
plt.legend()
plt.title("Units per row")
plt.show()
""",
    "box": _PLT
    + """
groups = [part["units"].values for _, part in df.groupby("product")]
plt.boxplot(groups, tick_labels=sorted(df["product"].unique()))
plt.title("Units by product")
plt.grid(axis="y", alpha=0.3)
plt.show()
""",
    "heatmap": _PLT
    + """
table = df.pivot_table(index="region", columns="product", values="revenue", aggfunc="mean")
fig, ax = plt.subplots()
image = ax.imshow(table.values, cmap="viridis")
ax.set_xticks(range(len(table.columns)), table.columns)
ax.set_yticks(range(len(table.index)), table.index)
for i in range(len(table.index)):
    for j in range(len(table.columns)):
        ax.text(j, i, f"{table.values[i, j]:.0f}", ha="center", va="center", color="white")
fig.colorbar(image, label="mean revenue")
plt.show()
""",
    "pie": _PLT
    + """
share = df.groupby("product")["revenue"].sum()
plt.pie(share, labels=share.index, autopct="%1.1f%%", startangle=90)
plt.axis("equal")
plt.title("Revenue share")
plt.show()
""",
    "subplots": _PLT
    + """
fig, axes = plt.subplots(2, 2, figsize=(10, 8))
df.groupby("region")["units"].sum().plot.bar(ax=axes[0, 0], title="units")
df.groupby("month")["revenue"].sum().plot(ax=axes[0, 1], title="revenue")
axes[1, 0].hist(df["price"], bins=10)
axes[1, 1].scatter(df["units"], df["revenue"], s=8)
fig.suptitle("Overview")
plt.tight_layout()
plt.show()
""",
}

SEABORN = {
    "bar": _SNS
    + """
sns.barplot(data=df, x="region", y="revenue", estimator="sum", errorbar=None)
plt.title("Revenue by region")
plt.show()
""",
    "lines": _SNS
    + """
plt.figure(figsize=(10, 5))
sns.lineplot(data=df, x="month", y="revenue", hue="region", estimator="sum", errorbar=None)
plt.xticks(rotation=90)
plt.show()
""",
    "scatter": _SNS
    + """
sns.scatterplot(data=df, x="price", y="units", hue="product", size="revenue")
plt.title("Price against units")
plt.show()
""",
    "hist": _SNS
    + """
sns.histplot(data=df, x="units", hue="product", kde=True, bins=20)
plt.show()
""",
    "box": _SNS
    + """
sns.boxplot(data=df, x="product", y="units", hue="region")
plt.legend(loc="upper right")
plt.show()
""",
    "heatmap": _SNS
    + """
table = df.pivot_table(index="region", columns="product", values="units", aggfunc="mean")
sns.heatmap(table, annot=True, fmt=".1f", cmap="coolwarm")
plt.title("Mean units")
plt.show()
""",
    "violin": _SNS
    + """
sns.set_theme(style="whitegrid")
sns.violinplot(data=df, x="region", y="price", hue="product", inner="quartile")
plt.show()
""",
    "facets": _SNS
    + """
sns.relplot(data=df, x="units", y="revenue", col="product", hue="region", height=3)
plt.show()
""",
}

PLOTLY = {
    "bar": _PX
    + """
totals = df.groupby("region", as_index=False)["revenue"].sum()
fig = px.bar(totals, x="region", y="revenue", title="Revenue by region", text_auto=True)
fig.show()
""",
    "lines": _PX
    + """
monthly = df.groupby(["month", "region"], as_index=False)["revenue"].sum()
fig = px.line(monthly, x="month", y="revenue", color="region", markers=True)
fig.show()
""",
    "scatter": _PX
    + """
fig = px.scatter(df, x="price", y="units", color="product", size="revenue", opacity=0.6)
fig.show()
""",
    "hist": _PX
    + """
fig = px.histogram(df, x="units", color="product", nbins=20, barmode="overlay")
fig.show()
""",
    "box": _PX
    + """
fig = px.box(df, x="product", y="units", color="region", title="Units by product")
fig.show()
""",
    "heatmap": _PX
    + """
table = df.pivot_table(index="region", columns="product", values="revenue", aggfunc="mean")
fig = px.imshow(table, text_auto=".0f", color_continuous_scale="Viridis")
fig.show()
""",
    "pie": _PX
    + """
fig = px.pie(df, names="product", values="revenue", hole=0.3, title="Revenue share")
fig.show()
""",
    "subplots": PLOTLY_PNG
    + """
import plotly.graph_objects as go
from plotly.subplots import make_subplots
fig = make_subplots(rows=1, cols=2, subplot_titles=("units", "revenue"))
units = df.groupby("region")["units"].sum()
fig.add_trace(go.Bar(x=units.index, y=units.values, name="units"), row=1, col=1)
revenue = df.groupby("month")["revenue"].sum()
fig.add_trace(go.Scatter(x=revenue.index, y=revenue.values, name="revenue"), row=1, col=2)
fig.update_layout(title="Overview", showlegend=False)
fig.show()
""",
}

SNIPPETS: dict[Library, dict[str, str]] = {
    "matplotlib": MATPLOTLIB,
    "seaborn": SEABORN,
    "plotly": PLOTLY,
}


def cells(library: Library) -> list[str]:
    """The library's snippets as the code sent for execution: the loader, then the plot."""
    return [LOAD + code for code in SNIPPETS[library].values()]
