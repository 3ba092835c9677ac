"""A stand-in for the Docker SDK client, so DockerSandbox and DockerSandboxProvider can be
driven without an engine, and an engine that fails on the calls a test names.

`failures` maps a call ("run", "fill", "list", "reload", "kill", "remove") to the exception
it raises ("fill": running the container that fills the venv volume). A sandbox container
that "runs" serves the sandbox protocol on its socket: it answers the health check, and
drops every execution without a reply, as a sandbox that died would. A fill container
exits 0 at once.
"""

from __future__ import annotations

import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import docker.errors
import requests

from sandbox_server.protocol import HEALTH_PATH, SOCKET_NAME


def api_error(status_code: int, message: str = "engine trouble") -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status_code
    return docker.errors.APIError(message, response=response)


ENGINE_FAILURES: dict[str, Exception] = {
    "api-error-500": api_error(500, "Internal Server Error"),
    "connection-lost": requests.exceptions.ConnectionError("Connection aborted"),
    "engine-gone": docker.errors.DockerException("Error while fetching server API version"),
}


class SandboxProtocolStandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        status = 200 if self.path == HEALTH_PATH else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        self.close_connection = True  # no reply at all: the sandbox went away


class FakeContainer:
    def __init__(
        self, client: FakeDockerClient, name: str, labels: dict[str, str], socket_dir: Path | None
    ) -> None:
        self.client = client
        self.name = name
        self.id = name
        self.attrs: dict[str, Any] = {
            "Labels": labels,
            "State": {"Running": True, "OOMKilled": False},
        }
        self.removed = False
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        if socket_dir is not None:
            self._server = socketserver.ThreadingUnixStreamServer(
                str(socket_dir / SOCKET_NAME), SandboxProtocolStandIn
            )
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def reload(self) -> None:
        self.client.fail_if_told("reload")

    def kill(self) -> None:
        self.client.fail_if_told("kill")

    def logs(self, tail: int | None = None) -> bytes:
        return b""

    def wait(self) -> dict[str, int]:
        return {"StatusCode": 0}

    def remove(self, force: bool) -> None:
        self.client.fail_if_told("remove")
        self.removed = True
        self.stop_serving()

    def stop_serving(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class FakeContainers:
    def __init__(self, client: FakeDockerClient) -> None:
        self.client = client
        self.started: list[FakeContainer] = []

    def run(
        self,
        image: str,
        *,
        name: str,
        labels: dict[str, str],
        volumes: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if volumes is None:  # the venv volume's filler: it has no socket directory
            self.client.fail_if_told("fill")
            return FakeContainer(self.client, name, labels, socket_dir=None)
        self.client.fail_if_told("run")
        (socket_dir,) = volumes
        container = FakeContainer(self.client, name, labels, Path(socket_dir))
        self.started.append(container)
        return container

    def get(self, name: str) -> FakeContainer:
        for container in self.started:
            if container.name == name:
                return container
        raise docker.errors.NotFound(f"no container {name}")

    def list(self, *, filters: dict[str, list[str]], **kwargs: Any) -> list[Any]:
        self.client.fail_if_told("list")
        return [
            c
            for c in self.started
            if not c.removed and all(matches(c.attrs["Labels"], f) for f in filters["label"])
        ]


def matches(labels: dict[str, str], label_filter: str) -> bool:
    key, has_value, value = label_filter.partition("=")
    return key in labels and (not has_value or labels[key] == value)


class FakeImage:
    id = "sha256:" + "f" * 64
    tags = ("ppb/sandbox:latest",)


class FakeImages:
    def get(self, image: str) -> FakeImage:
        return FakeImage()


class FakeVolumes:
    def create(self, name: str, labels: dict[str, str]) -> None:
        return None

    def list(self, filters: dict[str, str]) -> list[Any]:
        return []


class FakeDockerClient:
    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.failures = dict(failures or {})
        self.containers = FakeContainers(self)
        self.images = FakeImages()
        self.volumes = FakeVolumes()

    def ping(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        return {"Runtimes": {"runc": {}}}

    def close(self) -> None:
        """Stops the sockets of the containers that were never removed."""
        for container in self.containers.started:
            container.stop_serving()

    def fail_if_told(self, call: str) -> None:
        if call in self.failures:
            raise self.failures[call]
