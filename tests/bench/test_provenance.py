"""Provenance without Docker or a network: dataset fingerprints, git commits, the sandbox."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors
import pytest
from huggingface_hub import constants

from orchestrator.bench import provenance as provenance_module
from orchestrator.bench.data.dataset import load_bench_dataset
from orchestrator.bench.provenance import (
    collect_provenance,
    dataset_fingerprint,
    project_commit,
    sandbox_packages,
)
from orchestrator.bench.settings import BenchSettings
from orchestrator.common.processes import free_port
from tests.support.paths import FIXTURE_DATASET

IMAGE_ID = "sha256:" + "ab" * 32


def test_a_local_copy_is_hashed_by_names_and_bytes(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(FIXTURE_DATASET, copy)
    first = dataset_fingerprint(str(copy))
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    assert dataset_fingerprint(str(copy)) == first
    assert dataset_fingerprint(str(FIXTURE_DATASET)) == first  # the place does not count

    csv = next((copy / "data").glob("data-*.csv"))
    original = csv.read_bytes()
    csv.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    assert dataset_fingerprint(str(copy)) != first
    csv.write_bytes(original)
    assert dataset_fingerprint(str(copy)) == first
    csv.rename(csv.with_name("data-999.csv"))
    assert dataset_fingerprint(str(copy)) != first


def test_an_export_file_is_hashed(tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text('{"id": 1}\n')
    first = dataset_fingerprint(str(export))
    export.write_text('{"id": 2}\n')
    assert dataset_fingerprint(str(export)) != first


def test_the_hub_revision_from_the_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    source = "hub:JetBrains-Research/PandasPlotBench"
    assert dataset_fingerprint(source) == f"{source}@unknown revision"
    refs = tmp_path / "datasets--JetBrains-Research--PandasPlotBench" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("0123abc\n")
    assert dataset_fingerprint(source) == f"{source}@0123abc"


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    return subprocess.run([*command, *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_commit_of_a_git_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "tracked.txt").write_text("one\n")
    git(repo, "add", "tracked.txt")
    git(repo, "commit", "-q", "-m", "first")
    head = git(repo, "rev-parse", "HEAD").strip()

    assert project_commit(repo) == head
    (repo / "untracked.txt").write_text("scratch\n")
    assert project_commit(repo) == head  # only tracked changes make it dirty
    (repo / "tracked.txt").write_text("two\n")
    assert project_commit(repo) == f"{head}-dirty"
    assert project_commit(repo / "sub") is None  # inside a checkout, not one
    assert project_commit(tmp_path) is None  # not a checkout
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert project_commit(repo) is None


def test_docker_unreachable_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A closed local port: the SDK leaks the socket of a failed unix-socket connect.
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")
    monkeypatch.delenv("EXECUTORS", raising=False)
    assert sandbox_packages("ppb/sandbox:latest", cache_dir=tmp_path) == (None, {})
    provenance = collect_provenance(
        BenchSettings(), load_bench_dataset(FIXTURE_DATASET), cache_dir=tmp_path, repo=tmp_path
    )
    assert provenance.model_dump() == {
        "dataset": dataset_fingerprint(str(FIXTURE_DATASET)),
        "sandbox_image": None,
        "sandbox_packages": {},
        "provider_model_reported": None,
        "project_commit": None,
    }


def test_remote_executors_are_not_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECUTORS", "http://executor.example:8000")
    monkeypatch.setattr(provenance_module, "sandbox_packages", pytest.fail)
    provenance = collect_provenance(
        BenchSettings(), load_bench_dataset(FIXTURE_DATASET), cache_dir=tmp_path, repo=tmp_path
    )
    assert (provenance.sandbox_image, provenance.sandbox_packages) == (None, {})


class FakeImage:
    id = IMAGE_ID


class FakeEngine:
    """images.get and containers.run of the Docker SDK client, as sandbox_packages uses them."""

    def __init__(self, output: bytes | Exception, image: bool = True) -> None:
        self.output = output
        self.image = image
        self.runs: list[dict[str, Any]] = []
        self.images = self
        self.containers = self
        self.closed = False

    def get(self, name: str) -> FakeImage:
        if not self.image:
            raise docker.errors.ImageNotFound(f"No such image: {name}")
        return FakeImage()

    def run(self, image: str, **kwargs: Any) -> bytes:
        self.runs.append({"image": image, **kwargs})
        if isinstance(self.output, Exception):
            raise self.output
        return self.output

    def close(self) -> None:
        self.closed = True


def client_of(engine: FakeEngine) -> docker.DockerClient:
    return cast(docker.DockerClient, engine)


def test_package_versions_are_asked_once_per_image(tmp_path: Path) -> None:
    engine = FakeEngine(b'{"numpy": "1.26.4", "pandas": "2.2.3"}\n')
    expected = (IMAGE_ID, {"numpy": "1.26.4", "pandas": "2.2.3"})
    for _ in range(2):
        assert sandbox_packages("img", cache_dir=tmp_path, connect=lambda: client_of(engine)) == (
            expected
        )
    assert len(engine.runs) == 1 and engine.closed
    run = engine.runs[0]
    assert (run["image"], run["network_mode"], run["remove"]) == (IMAGE_ID, "none", True)
    assert run["entrypoint"][:2] == ["python3", "-c"]


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        (FakeEngine(b"{}", image=False), (None, {})),
        (
            FakeEngine(docker.errors.ContainerError("c", 1, "python3", "img", b"boom")),
            (IMAGE_ID, {}),
        ),
        (FakeEngine(b"Traceback ..."), (IMAGE_ID, {})),
    ],
)
def test_an_image_that_cannot_tell_is_not_cached(
    tmp_path: Path, engine: FakeEngine, expected: tuple[str | None, dict[str, str]]
) -> None:
    assert sandbox_packages("img", cache_dir=tmp_path, connect=lambda: client_of(engine)) == (
        expected
    )
    assert not (tmp_path / "sandbox-packages").exists()
