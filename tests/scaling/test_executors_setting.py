"""EXECUTORS → executor URLs: lists, names with several addresses, and clear errors.

Names resolve through the real resolver, in a private mount namespace whose /etc/hosts gives
`executors.test` two addresses and whose resolv.conf names no server (so nothing leaves).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.client.executors_setting import ExecutorsSettingError, resolve_executors

RESOLVE = """
import asyncio, json, sys
from orchestrator.client.executors_setting import ExecutorsSettingError, resolve_executors
async def main():
    out = {}
    for spec in sys.argv[1:]:
        try:
            out[spec] = await resolve_executors(spec)
        except ExecutorsSettingError as exc:
            out[spec] = str(exc)
    print(json.dumps(out))
asyncio.run(main())
"""


def resolve_with_hosts(tmp_path: Path, hosts: str, *specs: str) -> dict[str, list[str] | str]:
    if os.geteuid() != 0:
        pytest.fail("this test mounts its own /etc/hosts in a mount namespace: run it as root")
    (tmp_path / "hosts").write_text(hosts)
    (tmp_path / "resolv.conf").write_text("")
    mounts = (
        f"mount --bind {tmp_path / 'hosts'} /etc/hosts && "
        f"mount --bind {tmp_path / 'resolv.conf'} /etc/resolv.conf && "
        'exec "$0" "$@"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", mounts, sys.executable, "-c", RESOLVE, *specs],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[str] | str] = json.loads(done.stdout)
    return result


def test_a_name_with_several_addresses_is_one_executor_each(tmp_path: Path) -> None:
    hosts = "10.231.9.6 executors.test\n10.231.9.2 executors.test\n10.231.9.10 one.test\n"
    found = resolve_with_hosts(
        tmp_path,
        hosts,
        "http://executors.test:8000",
        "http://one.test:8000/, http://10.231.9.2:8000,http://executors.test:8000",
        "https://executors.test:8443",
        "http://nowhere.test:8000",
    )
    assert found["http://executors.test:8000"] == [
        "http://10.231.9.2:8000",
        "http://10.231.9.6:8000",
    ]
    # A single address keeps its name; duplicates go; order is kept.
    assert found["http://one.test:8000/, http://10.231.9.2:8000,http://executors.test:8000"] == [
        "http://one.test:8000",
        "http://10.231.9.2:8000",
        "http://10.231.9.6:8000",
    ]
    assert "list each executor's own URL" in found["https://executors.test:8443"]
    assert "'nowhere.test', which does not resolve" in found["http://nowhere.test:8000"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "EXECUTORS is empty"),
        (" , ", "EXECUTORS is empty"),
        ("hostA:8000", "must be an http(s) URL with a host"),
        ("ftp://hostA", "must be an http(s) URL with a host"),
        ("http://[::1:8000", "is not a URL"),
    ],
)
def test_bad_settings_say_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(ExecutorsSettingError, match="EXECUTORS") as raised:
        asyncio.run(resolve_executors(spec))
    assert message in str(raised.value)


def test_addresses_are_used_as_given() -> None:
    urls = asyncio.run(resolve_executors("http://10.231.9.2:8000/,http://[fd00::5]:8000"))
    assert urls == ["http://10.231.9.2:8000", "http://[fd00::5]:8000"]
