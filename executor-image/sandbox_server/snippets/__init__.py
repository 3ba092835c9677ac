"""Code that the server runs inside the kernel, kept as modules so that it is linted.

Each module defines one function named after it (harvest.py defines `harvest`). The kernel
gets the module's source followed by a call with repr()'d arguments and a `del`, so the
user namespace is left as it was. Snippets import inside their function for the same
reason, and carry no docstring or `from __future__` line: in a cell, either would leak.
"""

from __future__ import annotations

from importlib.resources import files


def kernel_code(name: str, *args: object, parts: tuple[str, ...] = ()) -> str:
    """The cell that defines the snippet `name`, calls it with `args` and forgets it. The
    snippets named in `parts` are defined before it and passed first, as functions."""
    read = files(__name__).joinpath
    sources = "".join(f"{read(f'{snippet}.py').read_text()}\n" for snippet in (*parts, name))
    call = f"{name}({', '.join([*parts, *map(repr, args)])})"
    return f"{sources}{call}\ndel {', '.join([name, *parts])}\n"
