"""Debian's headless Chromium for the browser tests: found on PATH, else installed with
apt-get when this is root."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

CHROMIUM_NAMES = ("chromium", "chromium-browser")
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
# Other jobs may hold the dpkg lock; wait for it instead of failing at once.
APT_INSTALL = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "chromium"]
APT_UPDATE = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"]


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _apt(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=APT_ENV, capture_output=True, text=True, check=False)


def install_chromium() -> str:
    """Installs Debian's chromium; returns what went wrong, or "" when it is installed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "it is not installed and this is not root with apt-get to install it"
    started = time.monotonic()
    install = _apt(APT_INSTALL)
    if install.returncode != 0:  # a stale or missing package list: refresh it and retry once
        _apt(APT_UPDATE)
        install = _apt(APT_INSTALL)
    if install.returncode != 0:
        return f"`apt-get install -y chromium` failed:\n{install.stdout[-2000:]}{install.stderr}"
    print(f"installed chromium in {time.monotonic() - started:.0f} s")
    return ""
