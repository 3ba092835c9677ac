"""The import contract: which part may import which (README, "Architecture").

Read from the source with `ast`, so it needs nothing installed and runs in `make unit`.
A rule names a part by its folder and lists the module prefixes it must not import.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SANDBOX_PACKAGE = REPO / "executor-image" / "sandbox_server"

PARTS: dict[str, Path] = {
    "orchestrator.common": REPO / "orchestrator" / "common",
    "orchestrator.executor": REPO / "orchestrator" / "executor",
    "orchestrator.client": REPO / "orchestrator" / "client",
    "orchestrator.bench": REPO / "orchestrator" / "bench",
    "judge": REPO / "judge",
    "sandbox_server": SANDBOX_PACKAGE,
}

# part -> (forbidden prefixes, exceptions allowed inside them)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # what every service shares depends on no service
    "orchestrator.common": (
        ("orchestrator.executor", "orchestrator.client", "orchestrator.bench", "judge"),
        (),
    ),
    # the executor service knows nothing of its clients or of the benchmark
    "orchestrator.executor": (("orchestrator.client", "orchestrator.bench", "judge"), ()),
    # clients speak the executor's wire models, nothing of its implementation
    "orchestrator.client": (
        ("orchestrator.executor", "orchestrator.bench", "judge"),
        ("orchestrator.executor.api", "orchestrator.executor.figures"),
    ),
    # the benchmark talks to services through their wire models and clients only
    "orchestrator.bench": (
        ("orchestrator.executor", "judge"),
        (
            "orchestrator.executor.api",
            "orchestrator.executor.figures",
            "judge.api",
            "judge.client",
        ),
    ),
    # the judge is its own service: from orchestrator it takes only the common pieces
    "judge": (("orchestrator", "sandbox_server"), ("orchestrator.common",)),
    # inside the sandbox: the standard library, jupyter_client and the one PNG check
    "sandbox_server": (("orchestrator", "judge"), ("orchestrator.common.pngcheck",)),
}

# stdlib only: the host imports it without the sandbox's packages
STDLIB_ONLY = [SANDBOX_PACKAGE / "protocol.py"]


def module_name(path: Path) -> str:
    root = REPO / "executor-image" if path.is_relative_to(SANDBOX_PACKAGE) else REPO
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from orchestrator import executor`
                yield node.lineno, f"{target}.{alias.name}"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(part: str) -> list[str]:
    forbidden, allowed = RULES[part]
    found = []
    for path in sorted(PARTS[part].rglob("*.py")):
        for line, name in imports_of(path):
            if within(name, part):
                continue
            if any(within(name, f) for f in forbidden) and not any(
                within(name, a) or within(a, name) for a in allowed
            ):
                found.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("part", sorted(RULES))
def test_part_imports_only_what_the_contract_allows(part: str) -> None:
    assert PARTS[part].is_dir(), f"{part} has moved: update the contract"
    assert violations(part) == []


@pytest.mark.parametrize("path", STDLIB_ONLY, ids=lambda p: p.name)
def test_protocol_module_uses_only_the_standard_library(path: Path) -> None:
    outside = [
        f"line {line}: {name}"
        for line, name in imports_of(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
        and not name.startswith("__future__.")
    ]
    assert outside == []


def test_no_module_is_over_450_lines() -> None:
    roots = [REPO / "orchestrator", REPO / "judge", REPO / "executor-image"]
    long = [
        f"{path.relative_to(REPO)}: {n}"
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > 450
    ]
    assert long == []
