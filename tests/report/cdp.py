"""A small Chrome DevTools Protocol client: one headless Chromium page over one websocket."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

STARTUP_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 60.0
CHROMIUM_FLAGS = (
    "--headless",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)


class CdpError(Exception):
    """Chromium did not start, or a DevTools command failed or timed out."""


def _devtools_url(profile: Path, process: subprocess.Popen[bytes], log: Path) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CdpError(f"chromium exited with {process.returncode}: {log.read_text()[-2000:]}")
        lines = port_file.read_text().splitlines() if port_file.exists() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise CdpError(f"chromium did not open its DevTools port in {STARTUP_TIMEOUT_S:.0f} s")


class Browser:
    """A page in a headless Chromium; every event it sends is kept in `events`."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._next_id = 0
        self._session: str | None = None
        self.events: list[dict[str, Any]] = []

    @classmethod
    @contextmanager
    def launch(cls, executable: str, profile: Path) -> Iterator[Browser]:
        profile.mkdir(parents=True)
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        log = profile.parent / "chromium.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [executable, *flags, "about:blank"], stdout=log_file, stderr=subprocess.STDOUT
            )
        try:
            url = _devtools_url(profile, process, log)
            with connect(url, max_size=None, open_timeout=STARTUP_TIMEOUT_S) as connection:
                browser = cls(connection)
                target = browser.send("Target.createTarget", {"url": "about:blank"})
                attached = browser.send(
                    "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
                )
                browser._session = attached["sessionId"]
                for domain in ("Page", "Runtime", "Network", "Log"):
                    browser.send(f"{domain}.enable")
                yield browser
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _receive(self) -> dict[str, Any]:
        try:
            message: dict[str, Any] = json.loads(self._connection.recv(timeout=REPLY_TIMEOUT_S))
        except TimeoutError as exc:
            raise CdpError(f"no DevTools message in {REPLY_TIMEOUT_S:.0f} s") from exc
        return message

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Runs one DevTools command on the page and returns its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self._session:
            message["sessionId"] = self._session
        self._connection.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise CdpError(f"{method} failed: {reply['error']}")
            result: dict[str, Any] = reply["result"]
            return result

    def wait_for_event(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._receive()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def navigate(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise CdpError(f"{expression!r} stayed false for {timeout_s:.0f} s")
            time.sleep(0.1)

    def click(self, selector: str) -> None:
        """A real left click in the middle of the first element matching `selector`."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path, width: int = 1500) -> Path:
        """A PNG of the whole page, `width` CSS pixels wide, in one viewport as tall as the
        page (so sticky headers stay where a reader sees them)."""
        metrics = {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        metrics["height"] = self.evaluate("document.documentElement.scrollHeight")
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (CSP violations too)."""
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(json.dumps(params["args"]))
            elif method == "Runtime.exceptionThrown":
                errors.append(json.dumps(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        return errors

    def requested_urls(self) -> list[str]:
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]
