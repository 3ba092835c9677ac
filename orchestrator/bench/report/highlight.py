"""Code and diffs as pygments-highlighted HTML (pygments escapes what it highlights)."""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import DiffLexer, PythonLexer

_FORMATTER = HtmlFormatter(cssclass="highlight")
HIGHLIGHT_CSS: str = _FORMATTER.get_style_defs(".highlight")  # type: ignore[no-untyped-call]


def _highlighted(text: str, lexer: Lexer) -> Markup:
    return Markup(highlight(text, lexer, _FORMATTER) if text else "")  # noqa: S704


def python_html(code: str) -> Markup:
    return _highlighted(code, PythonLexer())


def diff_html(diff: str) -> Markup:
    return _highlighted(diff, DiffLexer())
