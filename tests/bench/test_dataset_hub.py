"""The hub loader against a local stand-in hub, and its errors when the hub is unreachable.

huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE when it is imported, so each case runs
the loader in a fresh interpreter with its own environment and cache directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestrator.bench.data.dataset import HUB_REPO
from tests.support.hub_standin import StandinHub
from tests.support.paths import FIXTURES, REPO

LOADER = """
import json
from orchestrator.bench.data.dataset import DatasetError, load_bench_dataset
try:
    dataset = load_bench_dataset(None)
except DatasetError as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({
        "source": dataset.source,
        "ids": [item.id for item in dataset.items],
        "images": [len(item.reference_images) for item in dataset.items],
        "csv": [item.data_csv.decode() for item in dataset.items],
    }))
"""


def _run_loader(tmp_path: Path, **env: str) -> dict[str, Any]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HF_")},
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", LOADER],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _export_rows() -> list[dict[str, Any]]:
    lines = (FIXTURES / "ppb_export.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_loads_from_a_hub(tmp_path: Path) -> None:
    with StandinHub(HUB_REPO, _export_rows()) as hub:
        result = _run_loader(tmp_path, HF_ENDPOINT=hub.url)
    assert result == {
        "source": f"hub:{HUB_REPO}",
        "ids": [3, 7],
        "images": [1, 0],
        "csv": [
            "month,sales\nJan,3\nFeb,5\nMar,4\n",
            "x,y,group\n0.5,1.0,a\n1.5,2.5,b\n2.5,2.0,a\n",
        ],
    }
    assert f"HEAD /api/datasets/{HUB_REPO}" in hub.requests  # the reachability probe


def test_a_cached_copy_loads_offline(tmp_path: Path) -> None:
    with StandinHub(HUB_REPO, _export_rows()) as hub:
        _run_loader(tmp_path, HF_ENDPOINT=hub.url)
    result = _run_loader(tmp_path, HF_ENDPOINT=hub.url, HF_HUB_OFFLINE="1")
    assert result["ids"] == [3, 7]


def test_hub_without_the_columns(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "data_csv"} for row in _export_rows()]
    with StandinHub(HUB_REPO, rows) as hub:
        result = _run_loader(tmp_path, HF_ENDPOINT=hub.url)
    assert result["error"] == f"hub:{HUB_REPO} lacks the column(s) data_csv"


def test_unreachable_hub_says_how_to_point_at_a_local_copy(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _run_loader(tmp_path, HF_ENDPOINT=f"http://127.0.0.1:{port}")
    assert result["error"].startswith("the HuggingFace hub is unreachable (http://127.0.0.1:")
    assert "DATASET=<path> (e.g. DATASET=../shared/pandasplotbench)" in result["error"]


def test_offline_without_a_cached_copy(tmp_path: Path) -> None:
    result = _run_loader(tmp_path, HF_HUB_OFFLINE="1")
    assert result["error"].startswith(f"could not load {HUB_REPO} (split test) from the hub:")
    assert "DATASET=../shared/pandasplotbench" in result["error"]
