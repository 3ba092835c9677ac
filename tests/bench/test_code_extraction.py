from __future__ import annotations

import pytest

from orchestrator.bench.code_extraction import extract_code, is_wrong_library, uses_library
from orchestrator.executor.api import Library


def test_joins_every_python_block() -> None:
    reply = (
        "First the imports:\n```python\nimport matplotlib.pyplot as plt\n```\n"
        "Then the plot:\n```Python\nplt.plot(df['x'])\nplt.show()\n```\nDone."
    )
    assert (
        extract_code(reply, "lenient")
        == "import matplotlib.pyplot as plt\nplt.plot(df['x'])\nplt.show()"
    )


@pytest.mark.parametrize("tag", ["python", "py", "python3", "PYTHON", "python title='x'"])
def test_python_tags(tag: str) -> None:
    assert extract_code(f"```{tag}\nx = 1\n```", "lenient") == "x = 1"


def test_bare_blocks_only_without_python_blocks() -> None:
    assert extract_code("```\nx = 1\n```", "lenient") == "x = 1"
    reply = "```bash\npip install plotly\n```\n```\noutput\n```\n```python\nx = 1\n```"
    assert extract_code(reply, "lenient") == "x = 1"


def test_other_languages_and_prose_give_no_code() -> None:
    assert extract_code("```bash\npip install seaborn\n```", "lenient") == ""
    assert extract_code("import matplotlib.pyplot as plt\nplt.plot([1])", "lenient") == ""
    assert extract_code("", "lenient") == ""
    assert extract_code("```python\n\n```", "lenient") == ""


def test_inline_closing_fence_as_in_the_upstream_system_prompt() -> None:
    assert extract_code("```python\n print('hello world')```", "lenient") == "print('hello world')"


def test_inline_span_is_not_a_bare_block() -> None:
    assert extract_code("Run ```pip install x```\nthen nothing.\n```\n", "lenient") == ""


def test_python_fence_after_text_on_the_same_line() -> None:
    assert extract_code("Here it is: ```python\nx = 1\n```", "lenient") == "x = 1"


def test_unclosed_block_runs_to_the_end() -> None:
    assert extract_code("```python\nx = 1\ny = 2", "lenient") == "x = 1\ny = 2"


def test_indented_block_is_dedented() -> None:
    assert (
        extract_code("  ```python\n    if True:\n        x = 1\n  ```", "lenient")
        == "if True:\n    x = 1"
    )


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
    code = extract_code(f"```python\nimport pandas as pd\n{line}\nprint(df)\n```", "lenient")
    assert code == "import pandas as pd\n\nprint(df)"


def test_read_csv_inside_a_block_becomes_pass() -> None:
    code = extract_code(
        '```python\ndef load():\n    df = pd.read_csv("data.csv")\nload()\n```', "lenient"
    )
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
    assert extract_code(f"```python\n{line}\n```", "lenient") == line


def test_numpy_import_is_prepended_when_np_is_used() -> None:
    assert (
        extract_code("```python\nx = np.arange(3)\n```", "lenient")
        == "import numpy as np\nx = np.arange(3)"
    )
    imported = "import numpy as np\nx = np.arange(3)"
    assert extract_code(f"```python\n{imported}\n```", "lenient") == imported
    assert extract_code("```python\nx = snp.a + cnp.b\n```", "lenient") == "x = snp.a + cnp.b"
    # unparsable code that imports numpy: the import line is still seen
    broken = "import numpy as np\nx = np.arange(3"
    assert extract_code(f"```python\n{broken}\n```", "lenient") == broken


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
    assert not is_wrong_library(code, library, "lenient")


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
    assert is_wrong_library(code, library, "lenient")


def test_unparsable_code_is_checked_on_its_import_lines() -> None:
    broken = "import seaborn as sns\nsns.histplot(df['x'\n"
    assert uses_library(broken, "seaborn")
    assert is_wrong_library(broken, "plotly", "lenient")
    assert not uses_library("from matplotlib import (\n    pyplot\n", "matplotlib")
    assert not uses_library("import matplotlib\x00", "matplotlib")


def test_no_code_is_not_a_wrong_library_in_lenient() -> None:
    assert not is_wrong_library("", "matplotlib", "lenient")
    assert not is_wrong_library("  \n", "plotly", "lenient")


# ppb: the reference's rules, quirks included


def test_ppb_joins_the_python_blocks_each_up_to_the_next_fence() -> None:
    reply = (
        "First:\n```python\nimport matplotlib.pyplot as plt\n```\nthen\n"
        "```python\n  plt.plot(df.x)```\n```\nbare\n```\n```python\nx = 1"
    )
    assert extract_code(reply, "ppb") == "import matplotlib.pyplot as plt\nplt.plot(df.x)\nx = 1"


def test_ppb_keeps_empty_blocks_in_the_join() -> None:
    assert extract_code("```python\n```\n```python\nx = 1\n```", "ppb") == "\nx = 1"


@pytest.mark.parametrize(
    "fence",
    [
        "```py\n",
        "```Python\n",
        "```PYTHON\n",
        "```python3\n",
        "```\n",
        "```python x\n",
        "```python ",
    ],
)
def test_ppb_takes_no_other_fence(fence: str) -> None:
    assert extract_code(f"{fence}x = 1\n```", "ppb") == ""


def test_ppb_gives_no_code_for_prose_or_an_empty_reply() -> None:
    assert extract_code("import matplotlib.pyplot as plt\nplt.plot([1])", "ppb") == ""
    assert extract_code("", "ppb") == ""


def test_ppb_strips_but_does_not_dedent() -> None:
    reply = "  ```python\n    if True:\n        x = 1\n  ```"
    assert extract_code(reply, "ppb") == "if True:\n        x = 1"


@pytest.mark.parametrize(
    "read",
    [
        'df = pd.read_csv("data.csv")',
        "df = pd.read_csv('data.csv')",
        'df=pd.read_csv("data.csv")',
        "df=pd.read_csv('data.csv')",
    ],
)
def test_ppb_replaces_the_four_reads_by_a_hash(read: str) -> None:
    code = extract_code(f"```python\nimport pandas as pd\n{read}\nprint(df)\n```", "ppb")
    assert code == "import pandas as pd\n#\nprint(df)"
    # a plain substring replacement: wherever it occurs, whatever surrounds it
    assert extract_code(f"```python\ndef load():\n    {read}  # load\n```", "ppb") == (
        "def load():\n    #  # load"
    )
    assert extract_code(f"```python\nmy{read}\n```", "ppb") == "my#"


@pytest.mark.parametrize(
    "read",
    [
        'df = pandas.read_csv("data.csv")',
        'df = pd.read_csv( "data.csv" )',
        'df = pd.read_csv("./data.csv")',
        'df  = pd.read_csv("data.csv")',
        'df = pd.read_csv("data.csv", index_col=0)',
        'data = pd.read_csv("data.csv")',
    ],
)
def test_ppb_keeps_every_other_read(read: str) -> None:
    assert extract_code(f"```python\n{read}\n```", "ppb") == read


@pytest.mark.parametrize(
    "code",
    ["x = np.arange(3)", "import numpy as np\nx = np.arange(3)", "x = snp.a", "# np. here"],
)
def test_ppb_prepends_numpy_whenever_np_dot_occurs(code: str) -> None:
    assert extract_code(f"```python\n{code}\n```", "ppb") == f"import numpy as np\n{code}"


def test_ppb_prepends_nothing_without_np_dot() -> None:
    assert extract_code("```python\nimport numpy\nx = numpy.ones(2)\n```", "ppb") == (
        "import numpy\nx = numpy.ones(2)"
    )


@pytest.mark.parametrize(
    ("code", "library", "wrong"),
    [
        ("import matplotlib.pyplot as plt", "matplotlib", False),
        ("# uses matplotlib\nimport seaborn as sns", "matplotlib", False),
        ("x = 'plotly'\nimport matplotlib.pyplot as plt", "plotly", False),
        ("import matplotlib_venn", "matplotlib", False),
        ("import seaborn as sns", "plotly", True),
        ("import pandas as pd\ndf.plot()", "matplotlib", True),
        ("import Seaborn", "seaborn", True),
        ("", "matplotlib", True),
    ],
)
def test_ppb_wrong_library_is_the_name_missing_from_the_code(
    code: str, library: Library, wrong: bool
) -> None:
    assert is_wrong_library(code, library, "ppb") is wrong
