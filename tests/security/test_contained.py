"""Every attack in the catalogue is contained (SECURITY.md, "The battery").

Each category runs as one wave against the real executor service; each case then checks
its exact status within its bound, the canary submitted with it, and the host.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import ExecutionResult
from tests.security.attacks import CATALOGUE, KERNEL_ENVIRONMENT, parse_environment_dump
from tests.security.battery import HOST_SECRETS, SENTINEL, HostFacts, assert_contained
from tests.security.waves import Waves

pytestmark = [pytest.mark.security, pytest.mark.docker]

# Attack names do not depend on the host's addresses; these only build the list.
_ANY_HOST = HostFacts("192.0.2.1", "192.0.2.2", 1, 2, Path("/nonexistent"))
CASES = [
    pytest.param(category, attack.name, id=f"{category}-{attack.name}")
    for category, build in CATALOGUE.items()
    for attack in build(_ANY_HOST)
]


@pytest.mark.parametrize(("category", "name"), CASES)
def test_attack_is_contained(waves: Waves, category: str, name: str) -> None:
    assert_contained(waves[category], name)


def test_no_sandbox_reached_a_host_listener(
    waves: Waves, probe_listener: tuple[int, list[str]]
) -> None:
    waves["network"]  # runs the network wave if it has not run yet
    assert probe_listener[1] == [], f"sandboxes reached the host: {probe_listener[1]}"


def test_no_host_secret_in_any_sandbox_environment(
    waves: Waves, hostile_executor: LocalExecutor
) -> None:
    result: ExecutionResult = waves["secrets"].outcomes["environment"].result
    dump = parse_environment_dump(result)
    assert set(dump["kernel"]) <= KERNEL_ENVIRONMENT, set(dump["kernel"]) - KERNEL_ENVIRONMENT
    for secret in (*HOST_SECRETS.values(), hostile_executor.token, SENTINEL):
        assert secret not in result.stdout
    for pid, environ in dump["processes"].items():
        names = {item.split("=", 1)[0] for item in environ.split("\0") if "=" in item}
        assert not names & {*HOST_SECRETS, "EXECUTOR_TOKEN"}, (pid, names)
        assert not any(name.startswith(("EXECUTOR_", "DOCKER_")) for name in names), names
