"""Fixtures of the scaling tests: executors at their own addresses, and a model endpoint."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.scaling.runs import PLOT_REPLY
from tests.support.executors import TEST_FLEET
from tests.support.llm_server import StandinLLM
from tests.support.netlab import Lab, Namespace, NetnsExecutor, free_subnet


@pytest.fixture(scope="module")
def lab(sandbox_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Two executor services, each alone in a network namespace, on one Docker engine."""
    if os.geteuid() != 0:
        pytest.fail("the scaling tests create network namespaces: run them as root")
    log_dir = tmp_path_factory.mktemp("lab")
    subnet = free_subnet()
    tag = str(os.getpid() % 100_000)
    namespaces = [Namespace(tag, index, subnet) for index in range(2)]
    token = secrets.token_urlsafe(24)
    executors = [
        NetnsExecutor(
            namespace,
            log_dir,
            fleet=f"{TEST_FLEET}n{index}",
            token=token,
            pool_size=index + 1,
            image=sandbox_image,
        )
        for index, namespace in enumerate(namespaces)
    ]
    try:
        for namespace in namespaces:
            namespace.create()
        with ThreadPoolExecutor(len(executors)) as starting:
            list(starting.map(NetnsExecutor.start, executors))
        yield Lab(small=executors[0], big=executors[1], token=token)
    finally:
        for executor in executors:
            executor.stop()
        for namespace in namespaces:
            namespace.delete()


@pytest.fixture(scope="module")
def llm() -> Iterator[StandinLLM]:
    """The model endpoint: every answer is the same small matplotlib plot."""
    with StandinLLM(default_reply=PLOT_REPLY) as server:
        yield server
