"""The host-to-sandbox protocol and the kernel snippets, without a sandbox.

Both sides import sandbox_server.protocol; these check that what one side writes is what
the other reads, and that the snippet cells are what the server sends to the kernel.
"""

from __future__ import annotations

import ast
import asyncio
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args, get_type_hints

import matplotlib
import pytest

import sandbox_server.snippets
from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
)
from orchestrator.executor.docker.config import (
    LABEL_LIBRARY,
    VENV_PATH,
    SandboxConfig,
    for_library,
)
from orchestrator.executor.docker.sandbox import DockerSandbox
from sandbox_server.execution import IMAGE_OUTPUTS
from sandbox_server.protocol import (
    DEFAULT_MAX_ERROR_BYTES,
    DEFAULT_MAX_IMAGES,
    DEFAULT_MAX_STREAM_BYTES,
    FIGURE_MIME,
    LIBRARY_ENV,
    SOCKET_DIR,
    SOCKET_NAME,
    WORKDIR,
    Capture,
    Library,
    Reply,
    ReplyError,
    ReplyStatus,
    is_safe_file_name,
)
from sandbox_server.request import capture_of
from sandbox_server.settings import ServerSettings
from sandbox_server.snippets import kernel_code

SNIPPETS = sorted(
    path
    for path in Path(sandbox_server.snippets.__file__).parent.glob("*.py")
    if path.name != "__init__.py"
)


def test_the_sandbox_reads_the_limits_the_host_sets(tmp_path: Path) -> None:
    config = SandboxConfig(max_stream_bytes=777, max_images=5, max_error_bytes=333)
    kwargs = config.run_kwargs("sbx", tmp_path)
    settings = ServerSettings.from_env(kwargs["environment"])
    assert (settings.max_stream_bytes, settings.max_images) == (777, 5)
    assert settings.max_error_bytes == 333
    assert kwargs["volumes"] == {str(tmp_path): {"bind": str(SOCKET_DIR), "mode": "rw"}}
    assert settings.socket_dir == Path(SOCKET_DIR)


def test_the_venv_volume_is_mounted_read_only_and_never_filled_by_docker(tmp_path: Path) -> None:
    assert "mounts" not in SandboxConfig().run_kwargs("sbx", tmp_path)
    (mount,) = SandboxConfig().run_kwargs("sbx", tmp_path, "ppb-venv-0123")["mounts"]
    assert (mount["Target"], mount["Source"], mount["Type"]) == (
        VENV_PATH,
        "ppb-venv-0123",
        "volume",
    )
    assert mount["ReadOnly"] is True
    assert mount["VolumeOptions"]["NoCopy"] is True


@pytest.mark.parametrize("library", ["matplotlib", "seaborn", "plotly", None])
def test_the_sandbox_warms_the_library_the_host_asks_for(
    tmp_path: Path, library: Library | None
) -> None:
    kwargs = for_library(SandboxConfig().run_kwargs("sbx", tmp_path), library)
    assert ServerSettings.from_env(kwargs["environment"]).library == library
    assert kwargs["labels"][LABEL_LIBRARY] == (library or "all")


def test_an_unknown_library_stops_the_sandbox_with_what_it_takes() -> None:
    with pytest.raises(ValueError, match="expected one of matplotlib, seaborn, plotly"):
        ServerSettings.from_env({LIBRARY_ENV: "ggplot"})


def test_both_sides_default_to_the_same_limits() -> None:
    config = SandboxConfig()
    settings = ServerSettings.from_env({})
    assert config.max_stream_bytes == settings.max_stream_bytes == DEFAULT_MAX_STREAM_BYTES
    assert config.max_images == settings.max_images == DEFAULT_MAX_IMAGES
    assert config.max_error_bytes == settings.max_error_bytes == DEFAULT_MAX_ERROR_BYTES


def test_the_reply_shape_is_what_the_host_parses() -> None:
    assert set(get_type_hints(Reply)) <= set(ExecutionResult.model_fields)
    assert set(get_type_hints(ReplyError)) == set(ExecutionError.model_fields)
    assert set(get_args(ReplyStatus)) <= {status.value for status in ExecutionStatus}
    reply: Reply = {
        "status": "error",
        "images": [],
        "stdout": "out",
        "stderr": "",
        "error": {
            "ename": "KernelDied",
            "evalue": "the kernel died (oom)",
            "traceback": "",
            "truncated": False,
        },
    }
    assert ExecutionResult.model_validate(reply).model_dump(include=set(reply)) == reply


def test_the_libraries_are_the_request_s() -> None:
    assert get_args(Library) == ("matplotlib", "seaborn", "plotly")
    assert ExecutionRequest.model_fields["library"].annotation == Library | None


def test_the_sandbox_writes_files_where_the_host_says_they_are() -> None:
    assert ServerSettings.from_env({}).workdir == Path(WORKDIR)


def test_both_sides_know_the_same_captures_and_default_to_all() -> None:
    assert ExecutionRequest.model_fields["capture"].annotation == Capture
    assert set(IMAGE_OUTPUTS) == set(get_args(Capture)) == {"displayed", "all"}
    assert ExecutionRequest(code="").capture == capture_of({}) == "all"
    assert capture_of({"capture": "displayed"}) == "displayed"
    with pytest.raises(ValueError, match="unknown capture 'some'"):
        capture_of({"capture": "some"})
    with pytest.raises(ValueError, match="capture"):
        ExecutionRequest.model_validate({"code": "", "capture": "some"})


@pytest.mark.anyio
async def test_the_host_sends_the_whole_request_to_the_sandbox() -> None:
    received: list[dict[str, Any]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        length = int(head.split("content-length:")[1].split("\r\n")[0])
        received.append(json.loads(await reader.readexactly(length)))
        body = json.dumps({"status": "ok", "images": [], "stdout": "", "stderr": "", "error": None})
        writer.write(
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            f"{body}".encode()
        )
        await writer.drain()
        writer.close()

    request = ExecutionRequest(
        code="x = 1", files={"data-7.csv": ""}, library="plotly", timeout_s=9, capture="displayed"
    )
    with tempfile.TemporaryDirectory(prefix="ppb-proto-") as root:  # short: a socket path
        server = await asyncio.start_unix_server(answer, path=str(Path(root) / SOCKET_NAME))
        async with server:
            container = SimpleNamespace(name="sbx", id="sbx")
            sandbox = DockerSandbox(container, Path(root), SandboxConfig())  # type: ignore[arg-type]
            result = await sandbox.execute(request)
    assert result.status == ExecutionStatus.OK
    assert received == [request.model_dump()]


@pytest.mark.parametrize("name", ["data.csv", "a", "A-1_b.parquet", "x" * 128])
def test_a_plain_file_name_is_safe(name: str) -> None:
    assert is_safe_file_name(name)
    ExecutionRequest(code="", files={name: ""})


@pytest.mark.parametrize(
    "name",
    ["", ".hidden", "-rf", "../etc", "a/b", "a..b", "..", "data.csv\n", "a\0b", "x" * 129],
)
def test_any_other_file_name_is_refused_on_both_sides(name: str) -> None:
    assert not is_safe_file_name(name)
    with pytest.raises(ValueError, match="must be a plain name"):
        ExecutionRequest(code="", files={name: ""})


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.stem)
def test_a_snippet_is_one_function_named_after_it(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    compile(tree, str(path), "exec")
    assert [type(node) for node in tree.body] == [ast.FunctionDef]
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef) and function.name == path.stem
    # a module docstring would set __doc__ in the user namespace
    assert ast.get_docstring(tree) is None


@pytest.mark.parametrize(
    ("name", "args", "parts", "call"),
    [
        ("warmup", ("plotly",), (), "warmup('plotly')"),
        ("warmup", (None,), (), "warmup(None)"),
        ("cap_output", (1048576,), (), "cap_output(1048576)"),
        ("harvest", (32,), (), "harvest(32)"),
        (
            "describe",
            ("mime", 1),
            ("describe_matplotlib", "describe_plotly"),
            "describe(describe_matplotlib, describe_plotly, 'mime', 1)",
        ),
    ],
)
def test_the_server_sends_the_snippet_then_a_call(
    name: str, args: tuple[Any, ...], parts: tuple[str, ...], call: str
) -> None:
    # the parts' sources come first: the call passes them to the snippet
    folder = Path(sandbox_server.snippets.__file__).parent
    sources = "".join(f"{(folder / f'{n}.py').read_text()}\n" for n in (*parts, name))
    code = kernel_code(name, *args, parts=parts)
    assert code == f"{sources}{call}\ndel {', '.join((name, *parts))}\n"
    compile(code, name, "exec")


def test_arguments_are_sent_as_literals() -> None:
    tricky = 'it\'s "quoted"\n{braces}'
    tree = ast.parse(kernel_code("harvest", tricky, 3))
    call = tree.body[-2]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert [ast.literal_eval(arg) for arg in call.value.args] == [tricky, 3]


@pytest.fixture
def pyplot() -> Iterator[Any]:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_the_harvest_refuses_more_open_figures_than_images_left(pyplot: Any) -> None:
    pyplot.figure()
    pyplot.figure()
    namespace: dict[str, Any] = {}
    with pytest.raises(Exception, match="2 open figures, over the 1 images left") as caught:
        exec(kernel_code("harvest", 1, FIGURE_MIME), namespace)
    assert type(caught.value).__name__ == "OutputLimitExceeded"
    assert pyplot.get_fignums() == []  # closed before anything was rendered


def test_the_harvest_leaves_the_namespace_as_it_was(pyplot: Any) -> None:
    assert "matplotlib.pyplot" in sys.modules
    namespace: dict[str, Any] = {"user": 1}
    exec(kernel_code("harvest", 1, FIGURE_MIME), namespace)
    assert set(namespace) == {"user", "__builtins__"}
