"""The HTTP server on the unix socket: health checks, then one execution."""

from __future__ import annotations

import binascii
import json
import os
import socketserver
import sys
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from sandbox_server.kernel import Kernel
from sandbox_server.protocol import EXECUTE_PATH, HEALTH_PATH, SOCKET_NAME
from sandbox_server.request import execute
from sandbox_server.settings import ServerSettings


class UnixHTTPServer(socketserver.UnixStreamServer):
    def __init__(self, path: str, kernel: Kernel, settings: ServerSettings) -> None:
        self.kernel = kernel
        self.settings = settings
        self.done = False
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    server: UnixHTTPServer
    protocol_version = "HTTP/1.1"

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # keep container logs small
        return

    def reply(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == HEALTH_PATH:
            self.reply(200, {"ready": True, "pid": os.getpid()})
        else:
            self.reply(404, {"detail": "not found"})

    def do_POST(self) -> None:
        if self.path != EXECUTE_PATH:
            self.reply(404, {"detail": "not found"})
            return
        max_body_bytes = self.server.settings.max_body_bytes
        length = int(self.headers.get("Content-Length", "0"))
        if length <= 0 or length > max_body_bytes:
            self.reply(413, {"detail": f"body must be 1..{max_body_bytes} bytes"})
            return
        self.server.done = True  # one execution per sandbox, whatever happens next
        try:
            request = json.loads(self.rfile.read(length))
            result = execute(self.server.kernel, request, self.server.settings)
        except (ValueError, KeyError, binascii.Error) as exc:
            self.reply(400, {"detail": str(exc)})
            return
        self.reply(200, result)


def bind(kernel: Kernel, settings: ServerSettings) -> UnixHTTPServer:
    """The server, listening on its socket in the bind-mounted directory."""
    # Bound in place, born 0666 (the host connects as another uid): gVisor refuses chmod
    # and rename of a socket on a host mount. The host retries until it listens.
    umask = os.umask(0o111)
    try:
        server = UnixHTTPServer(str(settings.socket_dir / SOCKET_NAME), kernel, settings)
    finally:
        os.umask(umask)
    server.timeout = 1.0
    return server


def serve(server: UnixHTTPServer) -> None:
    """Answers requests until the execution is done or nobody came for too long."""
    started = time.monotonic()
    while not server.done:
        server.handle_request()
        if not server.done and time.monotonic() - started > server.settings.idle_exit_s:
            print("idle limit reached, exiting", file=sys.stderr)
            break
    server.server_close()
