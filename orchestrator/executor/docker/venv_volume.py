"""The sandbox image's /opt/venv as one read-only volume that every sandbox mounts.

Why: under a FUSE storage driver (fuse-overlayfs: rootless and nested engines) each new
container reads every module and shared library of the image through a FUSE mount of its
own, so nothing one sandbox read is cached for the next, and the FUSE daemon's work is
paid again per container. A volume is a plain directory on the engine's host: its pages
are read once and shared by all sandboxes. Under overlay2 the two cost about the same.

The volume is named after the image id, so a rebuilt image gets a new one. A short
container of the image itself (root, no capability, no network, read-only root) fills it
under a lock inside the volume and writes the mark last; a volume without the mark, say
from a fill that was killed, is emptied and filled again. Volumes of images that are gone
or untagged are removed when no container uses them.
"""

from __future__ import annotations

import logging
import os
import time
import uuid

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.volumes import Volume
from docker.types import Mount

from orchestrator.common.processes import owner_gone, process_owner
from orchestrator.executor.docker.config import LABEL_OWNER, LABEL_ROLE, VENV_PATH, labels
from orchestrator.executor.sandbox import SandboxUnavailable

log = logging.getLogger(__name__)

LABEL_IMAGE = "ppb.image"
ROLE_VENV = "venv"
ROLE_FILL = "venv-fill"
FILLED_MARK = ".ppb-filled"
LOCK_FILE = ".ppb-lock"
_FILL_AT = "/fill"
_FILL_SCRIPT = (
    f"exec 9>{_FILL_AT}/{LOCK_FILE} && flock 9 || exit 1\n"
    f"[ -e {_FILL_AT}/{FILLED_MARK} ] && exit 0\n"
    f"find {_FILL_AT} -mindepth 1 -maxdepth 1 ! -name {LOCK_FILE} -exec rm -rf {{}} + &&\n"
    f"cp -a {VENV_PATH}/. {_FILL_AT}/ && touch {_FILL_AT}/{FILLED_MARK}\n"
)


def volume_name(image_id: str) -> str:
    return f"ppb-venv-{image_id.removeprefix('sha256:')[:12]}"


def ensure_venv_volume(client: docker.DockerClient, image: str) -> str:
    """The filled volume of `image`'s venv, filling it first if needed; returns its name."""
    image_id = client.images.get(image).id or image
    name = volume_name(image_id)
    client.volumes.create(name, labels={LABEL_ROLE: ROLE_VENV, LABEL_IMAGE: image_id})
    started = time.monotonic()
    filler = client.containers.run(
        image_id,
        entrypoint=["sh", "-c", _FILL_SCRIPT],
        name=f"ppb-{ROLE_FILL}-{uuid.uuid4().hex[:12]}",
        labels={LABEL_ROLE: ROLE_FILL, LABEL_OWNER: process_owner(os.getpid())},
        detach=True,
        user="0:0",
        network_mode="none",
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        mounts=[Mount(target=_FILL_AT, source=name, type="volume", no_copy=True)],
    )
    try:
        status = filler.wait()["StatusCode"]
        if status != 0:
            output = filler.logs().decode(errors="replace")[-2000:]
            raise SandboxUnavailable(
                f"could not fill the venv volume {name} (exit {status}): {output}; remove it "
                "with `docker volume rm` or set EXECUTOR_SANDBOX__SHARED_VENV=false"
            )
    finally:
        filler.remove(force=True)
    log.info("venv volume %s checked in %.1f s", name, time.monotonic() - started)
    if removed := remove_stale_venv_volumes(client):
        log.info("removed %d venv volumes of images no longer tagged", removed)
    return name


def remove_stale_venv_volumes(client: docker.DockerClient) -> int:
    """Removes the venv volumes of images that are gone or untagged, unless in use, and the
    fill containers of executors that died on this host; returns how many volumes went."""
    for filler in client.containers.list(
        all=True, sparse=True, filters={"label": f"{LABEL_ROLE}={ROLE_FILL}"}
    ):
        if owner_gone(labels(filler).get(LABEL_OWNER, "")):
            _remove(filler)
    volumes = client.volumes.list(filters={"label": f"{LABEL_ROLE}={ROLE_VENV}"})
    stale = [v for v in volumes if not _image_is_tagged(client, labels(v).get(LABEL_IMAGE, ""))]
    return sum(_remove(volume) for volume in stale)


def _remove(resource: Container | Volume) -> bool:
    try:
        resource.remove(force=True)
        return True
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # in use, or being removed already
            return False
        raise


def _image_is_tagged(client: docker.DockerClient, image_id: str) -> bool:
    try:
        return bool(image_id) and bool(client.images.get(image_id).tags)
    except docker.errors.ImageNotFound:
        return False
