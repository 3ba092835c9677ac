"""From a model's reply to runnable code, and the wrong-library check, by protocol.

ppb extraction follows the reference (`CodePlotGenerator.gather_code`) to the letter:

- Only blocks opened by exactly "```python" and a newline count (not ```py, ```Python, a
  bare ``` or "```python" with text after it); each is the text up to the next ```,
  stripped, and the blocks are joined with newlines. No block gives "", and the cell still
  runs (cell.py), so such a reply ends as the reference's does.
- Four spellings of the read, `df = pd.read_csv("data.csv")` with single or double quotes
  and with or without the spaces around "=", are replaced by "#" wherever they occur.
- `import numpy as np` is prepended whenever "np." occurs.

viscoder extraction follows VisCoder's fork of it (`gather_code` there):

- The first block opened by "```python" (text may follow on that line), up to the next ```,
  stripped; a reply without one is taken whole, stripped, less the chat templates' stop
  tokens left in the text.
- The same four reads become "#" and the same numpy line is prepended.
- Saving instead of showing is turned into showing: `.savefig(...)` and `.write_image(...)`
  become `.show()` (up to the first ")", so a nested call leaves a syntax error, as
  there), and a `try:` before a `.show()` is cut out up to the next `except` and the next
  "pass" after it, which is meant for `except: pass` and, as there, also cuts whatever
  lies between.

lenient extraction (`PROTOCOL=lenient`) is this project's own:

- Every fenced block labelled python (```python, ```py, ```python3, any case) is taken, in
  order, dedented and stripped, and the blocks are joined with newlines. A block ends at the
  next ``` even mid-line (the upstream system prompt's own example closes that way); a block
  left open at the end of the reply (a reply cut by the token limit) runs to the end.
- Unlabelled blocks (a bare ```) are used only when the reply has no python block: small
  models often drop the tag, while a reply that has python blocks uses bare ones for output
  or shell commands. Blocks labelled with another language are never used.
- No block at all gives "": the runner records `no_code` and runs nothing. (Running the
  whole reply as code instead is VisCoder's fork, not the reference.)
- A `df = pd.read_csv("data.csv")` statement is removed (the item's own loader has set `df`
  already and a second read would undo it): single or double quotes, optional spaces, `pd`
  or `pandas`, an optional "./", a trailing `;` or comment. Inside an indented block it
  becomes `pass` so the block stays valid. A read with other arguments or into another name
  is left alone: it is a deliberate choice of the model, and data.csv is there to read.
- `import numpy as np` is prepended when the code uses `np.` and does not import numpy as
  np itself.

Wrong library (`is_wrong_library`). ppb, as the reference judges it: the library's name does
not occur in the code (after the numpy line is prepended), so a comment or a string naming
it is enough, and no code is always a wrong library. lenient: there is code and it does not
import the library (`uses_library`). Whether the code imports the library is recorded in
both protocols (`imports_library`): `import matplotlib.pyplot as plt`, `from matplotlib
import pyplot`, `import plotly.express as px`, `from plotly import express`, `import seaborn
as sns`, ..., anywhere in the code, checked on the AST. Code that does not parse is checked
on the lines that parse on their own as import statements, so a syntax error elsewhere does
not hide the import.
"""

from __future__ import annotations

import ast
import re
import textwrap

from orchestrator.bench.records import REFERENCE_PROTOCOLS, Protocol
from orchestrator.executor.api import Library

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3"})
_OPENING_FENCE = re.compile(r"```[ \t]*([^\s`]*)[^\n`]*\n")
_CLOSING_FENCE = "```"
_READ_CSV = re.compile(
    r"""^(?P<indent>[ \t]*)df\s*=\s*(?:pd|pandas)\.read_csv\("""
    r"""\s*(?P<q>['"])(?:\./)?data\.csv(?P=q)\s*\)\s*;?\s*(?:\#.*)?$""",
    re.MULTILINE,
)
_NP_USE = re.compile(r"(?<![\w.])np\.")
_NUMPY_IMPORT = "import numpy as np"
_PPB_OPENING_FENCE = "```python\n"
_VISCODER_FENCE = "```python"
_STOP_TOKENS = ("<|eot_id|>", "<|endoftext|>", "<EOS>", "<|start_header_id|>", "<|end_header_id|>")
_SAVE_CALL = re.compile(r"\.(?:savefig|write_image)\([^)]*\)")
_TRY_AROUND_SHOW = re.compile(r"try:\s*(.*?\.show\(\).*?)except.*?pass", re.DOTALL)
_PPB_READS = tuple(
    f"df{equals}pd.read_csv({quote}data.csv{quote})" for equals in (" = ", "=") for quote in "\"'"
)


def extract_code(reply: str, protocol: Protocol) -> str:
    """The code to run from a reply, by the protocol's rules (module doc); "" for none."""
    if protocol == "ppb":
        blocks = reply.split(_PPB_OPENING_FENCE)[1:]
        return _reference_fixes(
            "\n".join(block.partition(_CLOSING_FENCE)[0].strip() for block in blocks)
        )
    if protocol == "viscoder":
        return _viscoder_code(reply)
    return _lenient_code(reply)


def _reference_fixes(code: str) -> str:
    """The reference's edits of extracted code: the data reads out, numpy imported."""
    for read in _PPB_READS:
        code = code.replace(read, "#")
    return f"{_NUMPY_IMPORT}\n{code}" if "np." in code else code


def _viscoder_code(reply: str) -> str:
    if _VISCODER_FENCE in reply:
        code = reply.split(_VISCODER_FENCE, 1)[1].partition(_CLOSING_FENCE)[0].strip()
    else:
        for token in _STOP_TOKENS:
            reply = reply.replace(token, "")
        code = reply.strip()
    code = _SAVE_CALL.sub(".show()", _reference_fixes(code))
    return _TRY_AROUND_SHOW.sub(r"\1", code)


def _lenient_code(reply: str) -> str:
    blocks = _fenced_blocks(reply)
    chosen = [code for tag, code in blocks if tag in PYTHON_TAGS]
    if not chosen:
        chosen = [code for tag, code in blocks if tag == ""]
    code = "\n".join(text for text in chosen if text)
    if not code:
        return ""
    code = _READ_CSV.sub(lambda m: f"{m['indent']}pass" if m["indent"] else "", code)
    if _NP_USE.search(code) and not _imports_numpy_as_np(code):
        code = f"{_NUMPY_IMPORT}\n{code}"
    return code


def _fenced_blocks(reply: str) -> list[tuple[str, str]]:
    """(lower-case tag, dedented and stripped content) of each fenced block, in order.

    A fence opens at the start of a line, or anywhere when it carries a python tag (so
    "Here it is: ```python" still counts); the closing ``` of an inline span is then never
    mistaken for the opening of a bare block.
    """
    blocks = []
    position = 0
    while (opening := _OPENING_FENCE.search(reply, position)) is not None:
        tag = opening[1].lower()
        line_start = reply.rfind("\n", 0, opening.start()) + 1
        if tag not in PYTHON_TAGS and reply[line_start : opening.start()].strip():
            position = opening.start() + len(_CLOSING_FENCE)
            continue
        end = reply.find(_CLOSING_FENCE, opening.end())
        content = reply[opening.end() : end if end != -1 else len(reply)]
        blocks.append((tag, textwrap.dedent(content).strip()))
        if end == -1:
            break
        position = end + len(_CLOSING_FENCE)
    return blocks


def _imports_numpy_as_np(code: str) -> bool:
    return any(
        isinstance(node, ast.Import)
        and any(alias.name == "numpy" and alias.asname == "np" for alias in node.names)
        for node in _import_nodes(code)
    )


def uses_library(code: str, library: Library) -> bool:
    """Whether the code imports `library` (or one of its submodules); see the module doc."""
    for node in _import_nodes(code):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif node.level == 0 and node.module is not None:
            modules = [node.module]
        else:
            continue  # relative import: never the library
        if any(module.split(".")[0] == library for module in modules):
            return True
    return False


def is_wrong_library(code: str, library: Library, protocol: Protocol) -> bool:
    """ppb: the library's name is not in the code; lenient: code that does not import it."""
    if protocol in REFERENCE_PROTOCOLS:
        return library not in code
    return bool(code.strip()) and not uses_library(code, library)


def _import_nodes(code: str) -> list[ast.Import | ast.ImportFrom]:
    try:
        trees = [ast.parse(code)]
    except (SyntaxError, ValueError):  # ValueError: null bytes in the source
        trees = [tree for line in code.splitlines() if (tree := _parse_line(line.strip()))]
    return [
        node
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def _parse_line(line: str) -> ast.Module | None:
    if not line.startswith(("import ", "from ")):
        return None
    try:
        return ast.parse(line)
    except (SyntaxError, ValueError):
        return None
