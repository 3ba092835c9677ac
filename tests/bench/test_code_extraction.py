from __future__ import annotations

import pytest

from orchestrator.bench.code_extraction import extract_code, is_wrong_library, uses_library
from orchestrator.executor.api import Library


def test_joins_every_python_block() -> None:
    reply = (
        "First the imports:\n```python\nimport matplotlib.pyplot as plt\n```\n"
        "Then the plot:\n```Python\nplt.plot(df['x'])\nplt.show()\n```\nDone."
    )
    assert extract_code(reply) == "import matplotlib.pyplot as plt\nplt.plot(df['x'])\nplt.show()"


@pytest.mark.parametrize("tag", ["python", "py", "python3", "PYTHON", "python title='x'"])
def test_python_tags(tag: str) -> None:
    assert extract_code(f"```{tag}\nx = 1\n```") == "x = 1"


def test_bare_blocks_only_without_python_blocks() -> None:
    assert extract_code("```\nx = 1\n```") == "x = 1"
    reply = "```bash\npip install plotly\n```\n```\noutput\n```\n```python\nx = 1\n```"
    assert extract_code(reply) == "x = 1"


def test_other_languages_and_prose_give_no_code() -> None:
    assert extract_code("```bash\npip install seaborn\n```") == ""
    assert extract_code("import matplotlib.pyplot as plt\nplt.plot([1])") == ""
    assert extract_code("") == ""
    assert extract_code("```python\n\n```") == ""


def test_inline_closing_fence_as_in_the_upstream_system_prompt() -> None:
    assert extract_code("```python\n print('hello world')```") == "print('hello world')"


def test_inline_span_is_not_a_bare_block() -> None:
    assert extract_code("Run ```pip install x```\nthen nothing.\n```\n") == ""


def test_python_fence_after_text_on_the_same_line() -> None:
    assert extract_code("Here it is: ```python\nx = 1\n```") == "x = 1"


def test_unclosed_block_runs_to_the_end() -> None:
    assert extract_code("```python\nx = 1\ny = 2") == "x = 1\ny = 2"


def test_indented_block_is_dedented() -> None:
    assert extract_code("  ```python\n    if True:\n        x = 1\n  ```") == "if True:\n    x = 1"


@pytest.mark.parametrize(
    "line",
    [
        'df = pd.read_csv("data.csv")',
        "df = pd.read_csv('data.csv')",
        'df=pd.read_csv("data.csv")',
        "df=pd.read_csv('data.csv')",
        'df = pandas.read_csv( "data.csv" )',
        'df = pd.read_csv("./data.csv");',
        'df = pd.read_csv("data.csv")  # load the data',
    ],
)
def test_read_csv_line_is_removed(line: str) -> None:
    code = extract_code(f"```python\nimport pandas as pd\n{line}\nprint(df)\n```")
    assert code == "import pandas as pd\n\nprint(df)"


def test_read_csv_inside_a_block_becomes_pass() -> None:
    code = extract_code('```python\ndef load():\n    df = pd.read_csv("data.csv")\nload()\n```')
    assert code == "def load():\n    pass\nload()"


@pytest.mark.parametrize(
    "line",
    [
        'df = pd.read_csv("data.csv", index_col=0)',
        'data = pd.read_csv("data.csv")',
        'df = pd.read_csv("other.csv")',
    ],
)
def test_other_reads_are_kept(line: str) -> None:
    assert extract_code(f"```python\n{line}\n```") == line


def test_numpy_import_is_prepended_when_np_is_used() -> None:
    assert (
        extract_code("```python\nx = np.arange(3)\n```") == "import numpy as np\nx = np.arange(3)"
    )
    imported = "import numpy as np\nx = np.arange(3)"
    assert extract_code(f"```python\n{imported}\n```") == imported
    assert extract_code("```python\nx = snp.a + cnp.b\n```") == "x = snp.a + cnp.b"
    # unparsable code that imports numpy: the import line is still seen
    broken = "import numpy as np\nx = np.arange(3"
    assert extract_code(f"```python\n{broken}\n```") == broken


@pytest.mark.parametrize(
    ("code", "library"),
    [
        ("import matplotlib.pyplot as plt", "matplotlib"),
        ("import matplotlib", "matplotlib"),
        ("from matplotlib import pyplot as plt", "matplotlib"),
        ("from matplotlib.ticker import MaxNLocator", "matplotlib"),
        ("import seaborn as sns", "seaborn"),
        ("from seaborn import histplot", "seaborn"),
        ("import plotly.express as px", "plotly"),
        ("from plotly import express", "plotly"),
        ("import plotly.graph_objects as go", "plotly"),
        ("from plotly.subplots import make_subplots", "plotly"),
        ("import os, plotly.express as px", "plotly"),
        ("def draw():\n    import seaborn as sns\n    return sns", "seaborn"),
        ("try:\n    import plotly.express as px\nexcept ImportError:\n    pass", "plotly"),
    ],
)
def test_imports_that_count(code: str, library: Library) -> None:
    assert uses_library(code, library)
    assert not is_wrong_library(code, library)


@pytest.mark.parametrize(
    ("code", "library"),
    [
        ("# uses matplotlib\nimport seaborn as sns", "matplotlib"),
        ("x = 'plotly'\nimport matplotlib.pyplot as plt", "plotly"),
        ("import matplotlib_venn", "matplotlib"),
        ("from . import seaborn", "seaborn"),
        ("import pandas as pd\ndf.plot()", "matplotlib"),
        ("import seaborn as sns", "plotly"),
    ],
)
def test_imports_that_do_not_count(code: str, library: Library) -> None:
    assert not uses_library(code, library)
    assert is_wrong_library(code, library)


def test_unparsable_code_is_checked_on_its_import_lines() -> None:
    broken = "import seaborn as sns\nsns.histplot(df['x'\n"
    assert uses_library(broken, "seaborn")
    assert is_wrong_library(broken, "plotly")
    assert not uses_library("from matplotlib import (\n    pyplot\n", "matplotlib")
    assert not uses_library("import matplotlib\x00", "matplotlib")


def test_no_code_is_not_a_wrong_library() -> None:
    assert not is_wrong_library("", "matplotlib")
    assert not is_wrong_library("  \n", "plotly")
