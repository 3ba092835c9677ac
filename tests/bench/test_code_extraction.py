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


# viscoder: VisCoder's fork of the reference's gather_code, quirks included


def test_viscoder_takes_only_the_first_python_block() -> None:
    reply = "Imports:\n```python\nx = 1\n```\nthen\n```python\ny = 2\n```"
    assert extract_code(reply, "viscoder") == "x = 1"


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("```python\n  x = 1  \n```", "x = 1"),
        ("Here it is: ```python\nx = 1\n```", "x = 1"),
        ("```python\n print('hello world')```", "print('hello world')"),
        ("```python\nx = 1\ny = 2", "x = 1\ny = 2"),  # open to the end
        ("```python\n```", ""),
        # text after "```python" on the opening line stays in the code
        ("```python3\nx = 1\n```", "3\nx = 1"),
        ("```python title='a'\nx = 1\n```", "title='a'\nx = 1"),
        ("```pythonx = 1```", "x = 1"),
    ],
)
def test_viscoder_block_is_what_follows_the_fence_up_to_the_next(reply: str, code: str) -> None:
    assert extract_code(reply, "viscoder") == code


def test_viscoder_strips_but_does_not_dedent() -> None:
    reply = "  ```python\n    if True:\n        x = 1\n  ```"
    assert extract_code(reply, "viscoder") == "if True:\n        x = 1"


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (
            "import matplotlib.pyplot as plt\nplt.plot([1])",
            "import matplotlib.pyplot as plt\nplt.plot([1])",
        ),
        ("  x = 1\n\n", "x = 1"),
        ("x = 1<|eot_id|>", "x = 1"),
        ("x = 1<|endoftext|>", "x = 1"),
        ("x = 1\n<EOS>", "x = 1"),
        (
            "<|start_header_id|>assistant<|end_header_id|>\n\nx = 1<|eot_id|>",
            "assistant\n\nx = 1",
        ),
        ("x = 1<|im_end|>", "x = 1<|im_end|>"),  # not one of its stop tokens
        # other fences do not count: the whole reply is the code
        ("```py\nx = 1\n```", "```py\nx = 1\n```"),
        ("```Python\nx = 1\n```", "```Python\nx = 1\n```"),
        ("```\nx = 1\n```", "```\nx = 1\n```"),
        ("", ""),
    ],
)
def test_viscoder_takes_a_reply_without_a_python_fence_whole(reply: str, code: str) -> None:
    assert extract_code(reply, "viscoder") == code


def test_viscoder_keeps_stop_tokens_inside_a_python_block() -> None:
    assert extract_code("```python\nx = 1<|eot_id|>\n```", "viscoder") == "x = 1<|eot_id|>"


@pytest.mark.parametrize(
    "read",
    [
        'df = pd.read_csv("data.csv")',
        "df = pd.read_csv('data.csv')",
        'df=pd.read_csv("data.csv")',
        "df=pd.read_csv('data.csv')",
    ],
)
def test_viscoder_replaces_the_four_reads_by_a_hash(read: str) -> None:
    code = f"import pandas as pd\n{read}\nprint(df)"
    assert (
        extract_code(f"```python\n{code}\n```", "viscoder") == "import pandas as pd\n#\nprint(df)"
    )
    assert extract_code(code, "viscoder") == "import pandas as pd\n#\nprint(df)"
    assert extract_code(f"```python\nmy{read}\n```", "viscoder") == "my#"


@pytest.mark.parametrize(
    "read",
    [
        'df = pandas.read_csv("data.csv")',
        'df = pd.read_csv( "data.csv" )',
        'df = pd.read_csv("./data.csv")',
        'df = pd.read_csv("data.csv", index_col=0)',
        'data = pd.read_csv("data.csv")',
    ],
)
def test_viscoder_keeps_every_other_read(read: str) -> None:
    assert extract_code(f"```python\n{read}\n```", "viscoder") == read


@pytest.mark.parametrize(
    "code",
    ["x = np.arange(3)", "import numpy as np\nx = np.arange(3)", "x = snp.a", "# np. here"],
)
def test_viscoder_prepends_numpy_whenever_np_dot_occurs(code: str) -> None:
    assert extract_code(f"```python\n{code}\n```", "viscoder") == f"import numpy as np\n{code}"
    assert extract_code(f"{code}<|eot_id|>", "viscoder") == f"import numpy as np\n{code}"


def test_viscoder_prepends_nothing_without_np_dot() -> None:
    assert extract_code("```python\nimport numpy\nx = numpy.ones(2)\n```", "viscoder") == (
        "import numpy\nx = numpy.ones(2)"
    )


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ('plt.savefig("plot.png")', "plt.show()"),
        ("plt.savefig('plot.png', dpi=300, bbox_inches='tight')", "plt.show()"),
        ("fig.savefig(path)", "fig.show()"),
        ('fig.write_image("plot.png")', "fig.show()"),
        ('fig.write_image("plot.png", width=800, height=600)', "fig.show()"),
        (
            'plt.tight_layout()\nplt.savefig("a.png")\nplt.close()',
            "plt.tight_layout()\nplt.show()\nplt.close()",
        ),
        ('plt.savefig("a.png")\nplt.show()', "plt.show()\nplt.show()"),
        # up to the first ")": a nested call leaves its closing parenthesis, as upstream
        ('plt.savefig(os.path.join("out", "a.png"))', "plt.show())"),
        ("plt.show()", "plt.show()"),
        ('fig.write_html("a.html")', 'fig.write_html("a.html")'),
        ("savefig('a.png')", "savefig('a.png')"),  # not a method call
    ],
)
def test_viscoder_turns_saving_into_showing(code: str, shown: str) -> None:
    assert extract_code(f"```python\n{code}\n```", "viscoder") == shown


@pytest.mark.parametrize(
    ("code", "unwrapped"),
    [
        ("try:\n    plt.show()\nexcept:\n    pass", "plt.show()\n"),
        (
            "x = 1\ntry:\n    fig.show()\nexcept Exception:\n    pass\ny = 2",
            "x = 1\nfig.show()\n\ny = 2",
        ),
        # a save in the try becomes a show first, then the try goes
        ('try:\n    fig.write_image("a.png")\nexcept ValueError:\n    pass', "fig.show()\n"),
        # the body is kept as it stands: a second line keeps its indentation
        ("try:\n    fig.show()\n    x = 1\nexcept:\n    pass", "fig.show()\n    x = 1\n"),
    ],
)
def test_viscoder_unwraps_a_try_around_show_whose_except_passes(code: str, unwrapped: str) -> None:
    assert extract_code(f"```python\n{code}\n```", "viscoder") == unwrapped


@pytest.mark.parametrize(
    "code",
    [
        "try:\n    plt.show()\nexcept ImportError:\n    print('no display')",
        "try:\n    x = 1\nexcept:\n    pass\nplt.show()",
        "plt.show()\ntry:\n    x = 1\nexcept:\n    pass",
    ],
)
def test_viscoder_keeps_other_tries(code: str) -> None:
    assert extract_code(f"```python\n{code}\n```", "viscoder") == code


def test_viscoder_try_pattern_reaches_any_later_pass_as_upstream() -> None:
    # upstream's pattern is `try:\s*(.*?\.show\(\).*?)except.*?pass` (DOTALL): the "pass" may
    # be in a later statement or even a word, and everything up to it goes
    code = (
        'try:\n    plt.show()\nexcept Exception as e:\n    print(e)\nprint(df["passengers"].sum())'
    )
    assert extract_code(f"```python\n{code}\n```", "viscoder") == ('plt.show()\nengers"].sum())')


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
def test_viscoder_wrong_library_is_as_in_ppb(code: str, library: Library, wrong: bool) -> None:
    assert is_wrong_library(code, library, "viscoder") is wrong
    assert is_wrong_library(code, library, "viscoder") is is_wrong_library(code, library, "ppb")


def test_viscoder_wrong_library_of_a_whole_reply_taken_as_code() -> None:
    # no python fence: the prose is the code, and a mention of the library is enough
    code = extract_code("I would use matplotlib for this.", "viscoder")
    assert not is_wrong_library(code, "matplotlib", "viscoder")
    assert is_wrong_library(code, "matplotlib", "lenient")
