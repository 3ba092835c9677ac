"""The EXECUTORS setting: a comma-separated list of executor base URLs.

`EXECUTORS=http://hostA:8000,http://hostB:8000` lists them; a host name that resolves to
several addresses (a DNS round-robin name, Swarm's `tasks.executor`) stands for one executor
per address. The list is resolved once, when a run starts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from orchestrator.client.executor_client import ExecutorClientError


class ExecutorsSettingError(ExecutorClientError):
    """EXECUTORS is malformed or names a host that does not resolve; the message says which."""


async def resolve_executors(spec: str) -> list[str]:
    """EXECUTORS → one base URL per executor, in order, without duplicates."""
    urls: list[str] = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        for url in await _expand(entry):
            if url not in urls:
                urls.append(url)
    if not urls:
        raise ExecutorsSettingError(
            "EXECUTORS is empty; give base URLs like http://hostA:8000,http://hostB:8000"
        )
    return urls


async def _expand(entry: str) -> list[str]:
    try:
        url = httpx.URL(entry)
    except httpx.InvalidURL as exc:
        raise ExecutorsSettingError(f"EXECUTORS entry {entry!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ExecutorsSettingError(
            f"EXECUTORS entry {entry!r} must be an http(s) URL with a host, e.g. http://hostA:8000"
        )
    base = str(url).rstrip("/")
    if _is_address(url.host):
        return [base]
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await _addresses(url.host, port)
    if len(addresses) == 1:
        return [base]
    if url.scheme == "https":
        raise ExecutorsSettingError(
            f"EXECUTORS entry {entry!r} resolves to {len(addresses)} addresses; over https, "
            "list each executor's own URL instead (certificates name hosts, not addresses)"
        )
    return [str(url.copy_with(host=address)).rstrip("/") for address in addresses]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _addresses(host: str, port: int) -> list[str]:
    """Every A record of the host (AAAA only when it has no A record)."""
    loop = asyncio.get_running_loop()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
        except socket.gaierror:
            continue
        return sorted({str(info[4][0]) for info in infos}, key=ipaddress.ip_address)
    raise ExecutorsSettingError(f"EXECUTORS names {host!r}, which does not resolve")
