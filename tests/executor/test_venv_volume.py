"""The shared venv volume: the image's /opt/venv, filled once per image, complete or filled
again, read-only in every sandbox, and removed once its image is gone."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import docker
import pytest

from orchestrator.common.processes import process_owner
from orchestrator.executor.docker.config import LABEL_OWNER, LABEL_ROLE, VENV_PATH, SandboxConfig
from orchestrator.executor.docker.provider import DockerSandboxProvider
from orchestrator.executor.docker.venv_volume import (
    FILLED_MARK,
    LABEL_IMAGE,
    ROLE_FILL,
    ROLE_VENV,
    ensure_venv_volume,
    remove_stale_venv_volumes,
    volume_name,
)
from orchestrator.executor.sandbox import SandboxUnavailable
from tests.support.executors import TEST_FLEET

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

# Each entry's path, size, mtime (bytecode is checked against it), mode and owner.
LISTING = "cd {root} && find . -mindepth 1 ! -name '.ppb-*' -printf '%P %s %T@ %m %u\\n' | sort"


def shell(client: docker.DockerClient, image: str, script: str, volume: str | None) -> str:
    """Output of `script` as root in a throwaway container, the volume (if any) at /v."""
    mounts = {volume: {"bind": "/v", "mode": "rw"}} if volume else {}
    output: bytes = client.containers.run(
        image,
        entrypoint=["sh", "-c", script],
        user="0:0",
        network_mode="none",
        volumes=mounts,
        remove=True,
    )
    return output.decode()


@pytest.fixture
def filled(docker_client: docker.DockerClient, sandbox_image: str) -> str:
    return ensure_venv_volume(docker_client, sandbox_image)


def test_the_volume_is_the_images_venv_labelled_by_image_and_marked_filled(
    docker_client: docker.DockerClient, sandbox_image: str, filled: str
) -> None:
    image_id = docker_client.images.get(sandbox_image).id or ""
    assert filled == volume_name(image_id)
    labels = docker_client.volumes.get(filled).attrs["Labels"]
    assert labels == {LABEL_ROLE: ROLE_VENV, LABEL_IMAGE: image_id}
    from_image = shell(docker_client, sandbox_image, LISTING.format(root=VENV_PATH), None)
    from_volume = shell(docker_client, sandbox_image, LISTING.format(root="/v"), filled)
    assert from_image.count("\n") > 10_000
    assert from_volume == from_image
    assert shell(docker_client, sandbox_image, f"ls /v/{FILLED_MARK}", filled).strip()


def test_a_filled_volume_is_used_as_it_is(
    docker_client: docker.DockerClient, sandbox_image: str, filled: str
) -> None:
    stamp = f"stat -c %Y.%Z /v/{FILLED_MARK}"
    before = shell(docker_client, sandbox_image, stamp, filled)
    assert ensure_venv_volume(docker_client, sandbox_image) == filled
    assert shell(docker_client, sandbox_image, stamp, filled) == before


def test_a_volume_without_its_mark_is_emptied_and_filled_again(
    docker_client: docker.DockerClient, sandbox_image: str, filled: str
) -> None:
    """What a fill that was killed half-way leaves: some files, no mark."""
    shell(docker_client, sandbox_image, f"rm /v/{FILLED_MARK} && touch /v/left-over", filled)
    assert ensure_venv_volume(docker_client, sandbox_image) == filled
    in_volume = set(shell(docker_client, sandbox_image, "ls -a /v", filled).split())
    in_image = set(shell(docker_client, sandbox_image, f"ls -a {VENV_PATH}", None).split())
    assert in_volume == in_image | {".ppb-filled", ".ppb-lock"}


async def test_a_sandbox_mounts_the_volume_read_only_and_runs_from_it(
    docker_client: docker.DockerClient, sandbox_image: str, filled: str
) -> None:
    provider = DockerSandboxProvider(
        SandboxConfig(image=sandbox_image, fleet=f"{TEST_FLEET}-venv"), docker_client
    )
    sandbox = await provider.create("matplotlib")
    try:
        attrs = docker_client.containers.get(sandbox.name).attrs
        mounts = {m["Destination"]: m for m in attrs["Mounts"]}
        assert mounts[VENV_PATH]["Name"] == filled
        assert mounts[VENV_PATH]["RW"] is False
    finally:
        await sandbox.destroy()
        await provider.sweep()


async def test_with_shared_venv_off_the_sandbox_reads_the_image(
    docker_client: docker.DockerClient, sandbox_image: str
) -> None:
    provider = DockerSandboxProvider(
        SandboxConfig(image=sandbox_image, fleet=f"{TEST_FLEET}-venv", shared_venv=False),
        docker_client,
    )
    sandbox = await provider.create("matplotlib")
    try:
        attrs = docker_client.containers.get(sandbox.name).attrs
        assert VENV_PATH not in {m["Destination"] for m in attrs["Mounts"]}
    finally:
        await sandbox.destroy()
        await provider.sweep()


@pytest.fixture
def base_image_volume(docker_client: docker.DockerClient) -> Iterator[str]:
    """The volume an image without /opt/venv would get (the base image)."""
    image = docker_client.images.get("ppb/debian-python:bookworm")
    name = volume_name(image.id or "")
    yield name
    docker_client.volumes.get(name).remove(force=True)


def test_an_image_that_cannot_fill_it_is_an_unavailable_sandbox_with_what_to_do(
    docker_client: docker.DockerClient, base_image_volume: str
) -> None:
    with pytest.raises(SandboxUnavailable, match="could not fill the venv volume") as caught:
        ensure_venv_volume(docker_client, "ppb/debian-python:bookworm")
    assert base_image_volume in str(caught.value)
    assert "SHARED_VENV=false" in str(caught.value)
    fillers = docker_client.containers.list(
        all=True, filters={"label": f"{LABEL_ROLE}={ROLE_FILL}"}
    )
    assert fillers == []


def dead_owner() -> str:
    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return process_owner(probe.pid)


def test_volumes_of_gone_images_and_fillers_of_dead_executors_are_removed(
    docker_client: docker.DockerClient, sandbox_image: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    gone = docker_client.volumes.create(
        f"ppb-venv-test-gone-{tag}",
        labels={LABEL_ROLE: ROLE_VENV, LABEL_IMAGE: "sha256:" + "0" * 64},
    )
    in_use = docker_client.volumes.create(
        f"ppb-venv-test-in-use-{tag}",
        labels={LABEL_ROLE: ROLE_VENV, LABEL_IMAGE: "sha256:" + "1" * 64},
    )
    user = docker_client.containers.create(
        sandbox_image, volumes={in_use.name: {"bind": "/v", "mode": "ro"}}
    )
    orphan = docker_client.containers.create(
        sandbox_image, labels={LABEL_ROLE: ROLE_FILL, LABEL_OWNER: dead_owner()}
    )
    live = docker_client.containers.create(
        sandbox_image, labels={LABEL_ROLE: ROLE_FILL, LABEL_OWNER: process_owner(1)}
    )
    try:
        assert remove_stale_venv_volumes(docker_client) >= 1
        names = {v.name for v in docker_client.volumes.list()}
        assert gone.name not in names
        assert in_use.name in names
        remaining = {c.id for c in docker_client.containers.list(all=True)}
        assert orphan.id not in remaining
        assert live.id in remaining
    finally:
        for container in (user, live):
            container.remove(force=True)
        in_use.remove(force=True)
