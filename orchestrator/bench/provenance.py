"""What produced a run (records.Provenance), collected before it starts.

- dataset: `hub:<repo>@<revision>`, the revision the hub cache resolved for `datasets`, or
  for a local copy `sha256:<hex>` over its files' names and bytes (a few MB: hashed each
  run, not cached);
- the project's git commit, with `-dirty` when tracked files have changes; None when this
  is not a git checkout or git is missing;
- the sandbox image id and its plotting packages' versions, read by running the image once
  with `python3 -c` (no network) and cached per image id in the user cache. With remote
  executors (EXECUTORS=) or no reachable Docker engine they are None and {}.

Nothing here stops a run: what cannot be found is recorded as unknown.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import docker
import docker.errors
import requests
from pydantic import TypeAdapter, ValidationError

from orchestrator.bench.data.dataset import BenchDataset
from orchestrator.bench.models.local.paths import REPO_ROOT, SHARED_CACHE_DIR
from orchestrator.bench.records import Provenance
from orchestrator.bench.settings import BenchSettings

log = logging.getLogger(__name__)

HUB_PREFIX = "hub:"
PLOTTING_PACKAGES = (
    "numpy",
    "pandas",
    "matplotlib",
    "seaborn",
    "plotly",
    "kaleido",
    "scipy",
    "ipykernel",
)
# The image a run's own executor starts (orchestrator/client/local_executor.py).
DEFAULT_SANDBOX_IMAGE = "ppb/sandbox:latest"
DOCKER_TIMEOUT_S = 30
GIT_TIMEOUT_S = 10.0
VERSIONS_SCRIPT = (
    "import importlib.metadata as m, json\n"
    "found = {}\n"
    f"for name in {PLOTTING_PACKAGES!r}:\n"
    "    try:\n"
    "        found[name] = m.version(name)\n"
    "    except m.PackageNotFoundError:\n"
    "        pass\n"
    "print(json.dumps(found))\n"
)
PACKAGES = TypeAdapter(dict[str, str])
DOCKER_ERRORS = (docker.errors.DockerException, requests.RequestException)


def collect_provenance(
    settings: BenchSettings,
    dataset: BenchDataset,
    *,
    cache_dir: Path = SHARED_CACHE_DIR,
    repo: Path = REPO_ROOT,
) -> Provenance:
    """The run's provenance; `provider_model_reported` is left to the first model reply."""
    image: str | None = None
    packages: dict[str, str] = {}
    if not settings.executors:
        image_name = os.environ.get("SANDBOX_IMAGE", DEFAULT_SANDBOX_IMAGE)
        image, packages = sandbox_packages(image_name, cache_dir=cache_dir)
    return Provenance(
        dataset=dataset_fingerprint(dataset.source),
        sandbox_image=image,
        sandbox_packages=packages,
        project_commit=project_commit(repo),
    )


def dataset_fingerprint(source: str) -> str:
    """`source` is BenchDataset.source: `hub:<repo>` or the local copy's path."""
    if source.startswith(HUB_PREFIX):
        revision = hub_revision(source.removeprefix(HUB_PREFIX))
        return f"{source}@{revision or 'unknown revision'}"
    root = Path(source)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    base = root if root.is_dir() else root.parent
    manifest = hashlib.sha256()
    for path in files:
        with path.open("rb") as data:
            digest = hashlib.file_digest(data, "sha256").hexdigest()
        manifest.update(f"{digest}  {path.relative_to(base).as_posix()}\n".encode())
    return f"sha256:{manifest.hexdigest()}"


def hub_revision(repo: str) -> str | None:
    """The commit the hub cache's `main` points at: the revision `datasets` loaded."""
    from huggingface_hub import constants  # reads HF_HUB_CACHE at import time

    ref = Path(constants.HF_HUB_CACHE) / f"datasets--{repo.replace('/', '--')}" / "refs" / "main"
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def project_commit(repo: Path = REPO_ROOT) -> str | None:
    try:
        top, head = _git(repo, "rev-parse", "--show-toplevel", "HEAD").split()
        changes = _git(repo, "status", "--porcelain", "--untracked-files=no")
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    if Path(top).resolve() != repo.resolve():  # a directory inside another checkout
        return None
    return f"{head}-dirty" if changes.strip() else head


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=GIT_TIMEOUT_S,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # status must not write the index
    ).stdout


def sandbox_packages(
    image: str,
    *,
    cache_dir: Path = SHARED_CACHE_DIR,
    connect: Callable[[], docker.DockerClient] = lambda: docker.from_env(timeout=DOCKER_TIMEOUT_S),
) -> tuple[str | None, dict[str, str]]:
    """(image id, package -> version); (None, {}) when Docker or the image is not there."""
    try:
        client = connect()
    except DOCKER_ERRORS as exc:
        log.info("sandbox provenance not recorded: Docker is not reachable (%s)", exc)
        return None, {}
    with closing(client):
        try:
            image_id = client.images.get(image).id
        except DOCKER_ERRORS as exc:
            log.info("sandbox provenance not recorded: %s", exc)
            return None, {}
        if image_id is None:
            return None, {}
        cached = cache_dir / "sandbox-packages" / f"{image_id.removeprefix('sha256:')}.json"
        try:
            return image_id, PACKAGES.validate_json(cached.read_bytes())
        except (OSError, ValidationError):
            pass
        packages = _ask_image(client, image_id)
    if packages:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(PACKAGES.dump_json(packages))
        except OSError as exc:  # recorded all the same; only the next run asks again
            log.info("could not cache the sandbox's package versions at %s: %s", cached, exc)
    return image_id, packages


def _ask_image(client: docker.DockerClient, image_id: str) -> dict[str, str]:
    try:
        output = client.containers.run(
            image_id,
            entrypoint=["python3", "-c", VERSIONS_SCRIPT],
            network_mode="none",
            remove=True,
        )
        return PACKAGES.validate_json(output)
    except (*DOCKER_ERRORS, ValidationError) as exc:
        log.info("sandbox %s gave no package versions: %s", image_id, exc)
        return {}
