"""How the battery runs its waves: against the hostile-facing executor's fleet, each
category once per session, aimed at this host's addresses."""

from __future__ import annotations

import socket
from collections.abc import Callable

from tests.security.attacks import CATALOGUE
from tests.security.battery import HostFacts, Wave
from tests.support.executors import TEST_FLEET

FLEET = f"{TEST_FLEET}-sec"  # the hostile-facing executor's sandboxes

WaveRunner = Callable[..., Wave]


def host_ip() -> str:
    """The host's address on its default route (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.1", 9))
        return str(sock.getsockname()[0])


class Waves:
    """Each category's wave, run on first use and kept for the session (errors too)."""

    def __init__(self, run: WaveRunner, facts: HostFacts) -> None:
        self._run = run
        self._facts = facts
        self._done: dict[str, Wave | Exception] = {}

    def __getitem__(self, category: str) -> Wave:
        if category not in self._done:
            try:
                self._done[category] = self._run(CATALOGUE[category](self._facts))
            except Exception as exc:
                self._done[category] = exc
        outcome = self._done[category]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
