"""The executor contract against the real service, image, kernel and Docker engine."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time

import docker
import pytest
from PIL import Image, ImageStat

from orchestrator.client.executor_client import ExecutorClient
from orchestrator.client.local_executor import LocalExecutor
from orchestrator.common.pngcheck import validate_png
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, ExecutionStatus
from sandbox_server.protocol import DEFAULT_MAX_ERROR_BYTES, WORKDIR

pytestmark = pytest.mark.docker

CSV = b"year,sales,region\n2020,10,north\n2021,14,north\n2022,9,south\n2023,17,south\n"
FILES = {"data.csv": base64.b64encode(CSV).decode()}
LOAD = 'import pandas as pd\ndf = pd.read_csv("data.csv")\n'
# Plotly shows PNGs only when told to, as in any kernel (the bench's cells say so).
PNG_RENDERER = 'import plotly.io as pio\npio.renderers.default = "png"\n'

PLOTS = {
    "matplotlib": LOAD + "import matplotlib.pyplot as plt\nplt.plot(df.year, df.sales)\n",
    "seaborn": LOAD + "import seaborn as sns\nsns.barplot(data=df, x='year', y='sales')\n",
    "plotly": LOAD
    + PNG_RENDERER
    + "import plotly.express as px\npx.line(df, x='year', y='sales').show()\n",
}


def run(executor: LocalExecutor, code: str, **kwargs: object) -> ExecutionResult:
    async def go() -> ExecutionResult:
        async with ExecutorClient(executor.url, executor.token) as client:
            request = ExecutionRequest.model_validate({"code": code, "files": FILES, **kwargs})
            return await client.execute(request)

    return asyncio.run(go())


def assert_non_blank_png(b64: str) -> None:
    data = base64.b64decode(b64)
    info = validate_png(data)
    assert info.width > 50 and info.height > 50
    with Image.open(io.BytesIO(data)) as image:
        stddev = ImageStat.Stat(image.convert("L")).stddev[0]
    assert stddev > 1.0, "the PNG is blank"


@pytest.mark.parametrize("library", sorted(PLOTS))
def test_each_library_returns_a_valid_non_blank_png(executor: LocalExecutor, library: str) -> None:
    result = run(executor, PLOTS[library], library=library)
    assert result.status == ExecutionStatus.OK, result.error
    assert len(result.images) == 1
    assert_non_blank_png(result.images[0])


def test_exception_returns_error_with_images_drawn_before(executor: LocalExecutor) -> None:
    code = PLOTS["matplotlib"] + "plt.show()\nraise KeyError('no such column')\n"
    result = run(executor, code)
    assert result.status == ExecutionStatus.ERROR
    assert result.error is not None
    assert result.error.ename == "KeyError"
    assert "no such column" in result.error.evalue
    assert "KeyError" in result.error.traceback
    assert "\x1b" not in result.error.traceback  # colour codes are stripped
    assert len(result.images) == 1
    assert_non_blank_png(result.images[0])


def test_figures_left_open_after_backend_switch_are_captured(executor: LocalExecutor) -> None:
    code = "import matplotlib\nmatplotlib.use('Agg')\n" + PLOTS["matplotlib"]
    code += "plt.figure()\nplt.bar([1, 2], [3, 4])\n"
    result = run(executor, code)
    assert result.status == ExecutionStatus.OK, result.error
    assert len(result.images) == 2


def test_plotly_figure_as_last_expression_is_rendered(executor: LocalExecutor) -> None:
    result = run(
        executor,
        LOAD + PNG_RENDERER + "import plotly.express as px\npx.bar(df, x='year', y='sales')",
    )
    assert result.status == ExecutionStatus.OK, result.error
    assert len(result.images) == 1
    assert_non_blank_png(result.images[0])


def test_stdout_and_stderr_are_returned(executor: LocalExecutor) -> None:
    result = run(executor, "import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert result.status == ExecutionStatus.OK
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"


def test_spin_loop_times_out_and_its_container_is_gone(
    executor: LocalExecutor, docker_client: docker.DockerClient
) -> None:
    timeout_s = 3.0
    result = run(executor, "while True:\n    pass\n", timeout_s=timeout_s)
    assert result.status == ExecutionStatus.TIMEOUT
    assert result.duration_s <= timeout_s + 2
    assert result.sandbox
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = [
            c.attrs["Names"][0].lstrip("/")
            for c in docker_client.containers.list(all=True, sparse=True)
        ]
        if result.sandbox not in names:
            break
        time.sleep(0.2)
    assert result.sandbox not in names


def test_memory_hog_is_reported_as_oom(executor: LocalExecutor) -> None:
    code = "hog = []\nwhile True:\n    hog.append(b'x' * 50_000_000)\n"
    result = run(executor, code, timeout_s=60)
    assert result.status == ExecutionStatus.OOM, result.error


def test_nothing_survives_from_one_execution_to_the_next(executor: LocalExecutor) -> None:
    first = run(
        executor,
        "import subprocess\nsecret = 42\nopen('left.txt', 'w').write('x')\n"
        "open('/tmp/left.txt', 'w').write('x')\n"
        "subprocess.Popen(['sleep', '1000'])\n",
    )
    assert first.status == ExecutionStatus.OK, first.error
    second = run(
        executor,
        "import os\n"
        "exists = os.path.exists\n"
        "print('secret' in globals(), exists('left.txt'), exists('/tmp/left.txt'))\n"
        "comms = [open(f'/proc/{p}/comm').read() for p in os.listdir('/proc') if p.isdigit()]\n"
        "print('sleep\\n' in comms)\n",
    )
    assert second.status == ExecutionStatus.OK, second.error
    assert second.sandbox != first.sandbox
    assert second.stdout == "False False False\nFalse\n"


def test_uploaded_files_are_readable(executor: LocalExecutor) -> None:
    result = run(
        executor, LOAD + "print(df.shape, open('data.csv', 'rb').read() == " + repr(CSV) + ")"
    )
    assert result.status == ExecutionStatus.OK, result.error
    assert result.stdout == "(4, 3) True\n"


def test_more_concurrent_executions_than_the_pool_all_complete(
    executor: LocalExecutor,
) -> None:
    async def go() -> list[ExecutionResult]:
        async with ExecutorClient(executor.url, executor.token) as client:
            requests = [
                ExecutionRequest(code=f"print({i})", files=FILES, timeout_s=60) for i in range(5)
            ]
            return await asyncio.gather(*(client.execute(r) for r in requests))

    results = asyncio.run(go())
    assert [r.status for r in results] == [ExecutionStatus.OK] * 5
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(5)]
    assert len({r.sandbox for r in results}) == 5


def test_a_huge_error_message_is_cut_to_the_limit_and_flagged(executor: LocalExecutor) -> None:
    result = run(executor, 'raise ValueError("x" * 20_000_000)\n')
    assert result.status == ExecutionStatus.ERROR
    assert result.error is not None and result.error.ename == "ValueError"
    assert result.error.truncated
    assert len(result.error.evalue.encode()) <= DEFAULT_MAX_ERROR_BYTES
    assert len(result.error.traceback.encode()) <= DEFAULT_MAX_ERROR_BYTES
    assert result.error.evalue.startswith("xxxx")


KERNEL_FACTS = """
import json, os, sys
server = os.getppid()
print(json.dumps({
    "cwd": os.getcwd(),
    "path": sys.path,
    "pid": os.getpid(),
    "server": server,
    "server_cmd": open(f"/proc/{server}/cmdline").read().split("\\0"),
    "session_leader": os.getsid(0) == os.getpid(),
    "parent_env": os.environ.get("JPY_PARENT_PID"),
    "terminal_loaded": "prompt_toolkit" in sys.modules,
    "numeric_loaded": "numpy" in sys.modules,
}))
"""


def test_the_kernel_is_forked_from_the_server_as_a_launched_kernel_would_be(
    executor: LocalExecutor,
) -> None:
    """One interpreter per container: the kernel is the server's child, in the workdir,
    with the server's import path gone and IPython's terminal front end never loaded."""
    result = run(executor, KERNEL_FACTS, library="matplotlib")
    assert result.status == ExecutionStatus.OK, result.error
    facts = json.loads(result.stdout)
    assert facts["server_cmd"][:3] == ["python3", "-m", "sandbox_server"]
    assert facts["pid"] != facts["server"] and facts["parent_env"] == str(facts["server"])
    assert facts["session_leader"]
    assert facts["cwd"] == str(WORKDIR)
    assert facts["path"][0] == str(WORKDIR) and "/opt/sandbox" not in facts["path"]
    assert not facts["terminal_loaded"] and facts["numeric_loaded"]
