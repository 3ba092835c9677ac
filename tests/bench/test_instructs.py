"""INSTRUCTS= resolution without a network: local copy, user cache, download, builtin, file.

Most tests stand a small file in for the reference's (its sha256 patched in), so they need
neither the offline dataset copy nor the network; one checks the pinned sha256 against the
copy's upstream_instructs.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from orchestrator.bench import instructs as module
from orchestrator.bench.instructs import (
    BUILTIN_SHA256,
    DEFAULT_INSTRUCTS,
    LOCAL_COPY_FILE,
    REFERENCE_SHA256,
    REFERENCE_URL,
    Instructs,
    InstructsError,
    InstructsUnavailable,
    instructs_info,
    load_instructs,
    reference_cache_path,
)
from orchestrator.bench.models.registry import resolve_model
from orchestrator.bench.settings import BenchSettings, default_run_id

STAND_IN = Instructs(**{key: f"reference {key}" for key in Instructs.model_fields})
STAND_IN_BYTES = json.dumps(STAND_IN.model_dump(), indent=4).encode()

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def stand_in_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "REFERENCE_SHA256", hashlib.sha256(STAND_IN_BYTES).hexdigest())


class Network:
    """An httpx transport that serves `handler` and counts the requests."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []

        def serve(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        self.transport = httpx.MockTransport(serve)


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)


def dataset_copy(root: Path, content: bytes | None) -> Path:
    root.mkdir()
    (root / "tasks.jsonl").write_text("")
    if content is not None:
        (root / LOCAL_COPY_FILE).write_bytes(content)
    return root


def test_the_pinned_sha256_is_the_offline_copys_file(
    shared_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.undo()  # the real REFERENCE_SHA256
    data = (shared_copy / LOCAL_COPY_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == REFERENCE_SHA256
    network = Network(offline)
    loaded = load_instructs(None, shared_copy, cache_dir=tmp_path, transport=network.transport)
    assert loaded == load_instructs(shared_copy / LOCAL_COPY_FILE)
    assert network.requests == []


def test_the_local_copy_comes_first(tmp_path: Path) -> None:
    copy = dataset_copy(tmp_path / "copy", STAND_IN_BYTES)
    reference_cache_path(tmp_path).parent.mkdir(parents=True)
    reference_cache_path(tmp_path).write_text("not even JSON")  # not looked at
    network = Network(offline)
    assert load_instructs(None, copy, cache_dir=tmp_path, transport=network.transport) == STAND_IN
    assert network.requests == []


def test_a_changed_local_copy_is_not_the_reference(tmp_path: Path) -> None:
    copy = dataset_copy(tmp_path / "copy", STAND_IN_BYTES + b"\n")
    with pytest.raises(
        InstructsError, match=re.escape("is not the reference's instructs.json")
    ) as error:
        load_instructs(None, copy, cache_dir=tmp_path, transport=Network(offline).transport)
    assert f"INSTRUCTS={copy / LOCAL_COPY_FILE} to use it as it is" in str(error.value)


def test_the_cache_when_the_dataset_has_no_copy(tmp_path: Path) -> None:
    reference_cache_path(tmp_path).parent.mkdir(parents=True)
    reference_cache_path(tmp_path).write_bytes(STAND_IN_BYTES)
    network = Network(offline)
    for dataset in (None, str(dataset_copy(tmp_path / "copy", None))):
        loaded = load_instructs(None, dataset, cache_dir=tmp_path, transport=network.transport)
        assert loaded == STAND_IN
    assert network.requests == []


def test_a_changed_cache_is_refused(tmp_path: Path) -> None:
    reference_cache_path(tmp_path).parent.mkdir(parents=True)
    reference_cache_path(tmp_path).write_bytes(b"{}")
    with pytest.raises(InstructsError, match="delete it and it is downloaded again"):
        load_instructs(None, cache_dir=tmp_path, transport=Network(offline).transport)


def test_downloaded_once_then_cached(tmp_path: Path) -> None:
    network = Network(lambda request: httpx.Response(200, content=STAND_IN_BYTES))
    for _ in range(2):
        assert load_instructs(None, cache_dir=tmp_path, transport=network.transport) == STAND_IN
    assert [str(request.url) for request in network.requests] == [REFERENCE_URL]
    assert reference_cache_path(tmp_path).read_bytes() == STAND_IN_BYTES
    assert list(reference_cache_path(tmp_path).parent.iterdir()) == [reference_cache_path(tmp_path)]


def test_a_wrong_download_is_neither_used_nor_cached(tmp_path: Path) -> None:
    network = Network(lambda request: httpx.Response(200, content=b"<html>captive portal</html>"))
    with pytest.raises(
        InstructsError, match=re.escape(f"the download of {REFERENCE_URL} is not the")
    ):
        load_instructs(None, cache_dir=tmp_path, transport=network.transport)
    assert not reference_cache_path(tmp_path).exists()


@pytest.mark.parametrize(
    ("handler", "cause"),
    [
        (offline, "Temporary failure in name resolution"),
        (lambda request: httpx.Response(404), "404 Not Found"),
    ],
)
def test_nothing_to_be_had_says_how_to_get_it(tmp_path: Path, handler: Handler, cause: str) -> None:
    with pytest.raises(InstructsUnavailable) as error:
        load_instructs(None, cache_dir=tmp_path, transport=Network(handler).transport)
    message = str(error.value)
    for part in (cause, REFERENCE_URL, str(reference_cache_path(tmp_path)), "INSTRUCTS=builtin"):
        assert part in message


def test_builtin_and_a_file(tmp_path: Path) -> None:
    assert load_instructs("builtin") is DEFAULT_INSTRUCTS
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(DEFAULT_INSTRUCTS.model_dump()))
    assert load_instructs(path) == DEFAULT_INSTRUCTS


def test_info_of_each_setting(tmp_path: Path) -> None:
    assert instructs_info(None).model_dump() == {
        "name": "reference",
        "sha256": module.REFERENCE_SHA256,
        "reference": True,
    }
    builtin = instructs_info("builtin")
    assert (builtin.name, builtin.sha256, builtin.reference) == ("builtin", BUILTIN_SHA256, False)
    copy = tmp_path / "copy.json"
    copy.write_bytes(STAND_IN_BYTES)
    assert instructs_info(copy).model_dump() == {
        "name": str(copy),
        "sha256": module.REFERENCE_SHA256,
        "reference": True,
    }
    with pytest.raises(InstructsError, match="cannot be read"):
        instructs_info(tmp_path / "nope.json")


def test_the_setting_and_the_run_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_bytes(b"{}")
    spec = resolve_model("qwen-coder-1.5b")
    run_ids = set()
    for value, parsed in ((None, None), ("builtin", "builtin"), (str(mine), mine)):
        if value is None:
            monkeypatch.delenv("INSTRUCTS", raising=False)
        else:
            monkeypatch.setenv("INSTRUCTS", value)
        settings = BenchSettings()
        assert settings.instructs == parsed
        run_ids.add(default_run_id(settings, spec, [1, 2]))
    assert len(run_ids) == 3
