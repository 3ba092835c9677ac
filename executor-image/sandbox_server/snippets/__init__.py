"""Code that the server runs inside the kernel, kept as modules so that it is linted.

Each module defines one function named after it (harvest.py defines `harvest`). The kernel
gets the module's source followed by a call with repr()'d arguments and a `del`, so the
user namespace is left as it was. Snippets import inside their function for the same
reason, and carry no docstring or `from __future__` line: in a cell, either would leak.
"""

from __future__ import annotations

from importlib.resources import files


def kernel_code(name: str, *args: object) -> str:
    """The cell that defines the snippet `name`, calls it with `args` and forgets it."""
    source = files(__name__).joinpath(f"{name}.py").read_text()
    call = f"{name}({', '.join(map(repr, args))})"
    return f"{source}\n{call}\ndel {name}\n"
