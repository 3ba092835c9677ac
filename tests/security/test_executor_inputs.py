"""Hostile requests to the real executor service over HTTP: each gets its exact 4xx (never
a 5xx), none reaches a sandbox, and a bounded fuzz of the OpenAPI document finds no 5xx."""

from __future__ import annotations

import base64
import json
import re
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from schemathesis import GenerationMode

from orchestrator.client.local_executor import LocalExecutor
from orchestrator.executor.api import MAX_CODE_BYTES, MAX_FILES, MAX_FILES_BYTES
from tests.security.fuzz import server_errors

pytestmark = [pytest.mark.security, pytest.mark.docker]

MAX_BODY_BYTES = 72 * 1024 * 1024  # the service's default limit


@dataclass(frozen=True)
class BadRequest:
    body: bytes
    expect: int
    authorization: bytes | None = b"Bearer {token}"
    chunked: bool = False


def request_body(**fields: object) -> bytes:
    return json.dumps({"code": "print(1)", "timeout_s": 30, **fields}).encode()


def one_file(name: str, content: bytes = b"x") -> bytes:
    return request_body(files={name: base64.b64encode(content).decode()})


OVERSIZED = request_body(files={"data.csv": "A" * (MAX_BODY_BYTES + 4)})
BAD_REQUESTS = {
    "no token": BadRequest(request_body(), 401, authorization=None),
    "wrong token": BadRequest(request_body(), 401, authorization=b"Bearer wrong"),
    "basic auth": BadRequest(request_body(), 401, authorization=b"Basic dXNlcjpwYXNz"),
    "non-ascii token": BadRequest(request_body(), 401, authorization=b"Bearer \xff\xfe"),
    "oversized body": BadRequest(OVERSIZED, 413),
    "oversized chunked body": BadRequest(OVERSIZED, 413, chunked=True),
    "bad base64": BadRequest(request_body(files={"data.csv": "not base64!"}), 422),
    "directory in file name": BadRequest(one_file("dir/data.csv"), 422),
    "parent in file name": BadRequest(one_file("../etc/passwd"), 422),
    "absolute file name": BadRequest(one_file("/etc/passwd"), 422),
    "NUL in file name": BadRequest(one_file("data\x00.csv"), 422),
    "dot-dot file name": BadRequest(one_file(".."), 422),
    "hidden file name": BadRequest(one_file(".bashrc"), 422),
    "too many files": BadRequest(
        request_body(files={f"f{i}.csv": "eA==" for i in range(MAX_FILES + 1)}), 422
    ),
    "files over their total": BadRequest(one_file("big.csv", bytes(MAX_FILES_BYTES + 1)), 422),
    "code over its limit": BadRequest(request_body(code="x" * (MAX_CODE_BYTES + 1)), 422),
    "zero timeout": BadRequest(request_body(timeout_s=0), 422),
    "timeout over the maximum": BadRequest(request_body(timeout_s=10_000), 422),
    "NaN timeout": BadRequest(b'{"code": "1", "timeout_s": NaN}', 422),
    "infinite timeout": BadRequest(b'{"code": "1", "timeout_s": Infinity}', 422),
    "number out of range": BadRequest(b'{"code": "1", "timeout_s": 1e400}', 422),
    "lone surrogate in code": BadRequest(b'{"code": "\\ud800"}', 422),
    "lone surrogate in file name": BadRequest(b'{"code": "1", "files": {"\\ud800": "eA=="}}', 422),
    "deeply nested JSON": BadRequest(b"[" * 100_000, 400),
    "not JSON": BadRequest(b"{nope", 422),
    "JSON array": BadRequest(b"[1, 2]", 422),
    "unknown library": BadRequest(request_body(library="ggplot"), 422),
    "unknown field": BadRequest(request_body(run_as="root"), 422),
}


def chunks(body: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def post_until_answered(url: str, headers: dict[bytes, bytes], bad: BadRequest) -> tuple[int, str]:
    """POSTs over a plain socket and stops uploading once the service answers.

    A service that refuses a body early answers and closes; an ordinary client still
    uploading would get a connection reset before reading that answer.
    """
    host, port = url.removeprefix("http://").split(":")
    framing = (
        b"Transfer-Encoding: chunked" if bad.chunked else b"Content-Length: %d" % len(bad.body)
    )
    lines = [b"POST /v1/executions HTTP/1.1", b"Host: " + host.encode(), framing]
    lines += [name + b": " + value for name, value in headers.items()]
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        wait_s = 0.5  # a refusal of the declared length comes before any body
        for chunk in chunks(bad.body):
            if select.select([sock], [], [], wait_s)[0]:
                break  # answered before the whole body was sent
            wait_s = 0.0
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if bad.chunked else chunk)
        else:
            sock.sendall(b"0\r\n\r\n" if bad.chunked else b"")
        answer = b""
        while data := sock.recv(1 << 16):
            answer += data
            head, _, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if length and len(body) >= int(length.group(1)):
                break
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


@pytest.fixture(scope="module")
def answers(hostile_executor: LocalExecutor) -> tuple[dict[str, tuple[int, str]], int]:
    """Every bad request's status and body, and how many executions the service ran meanwhile."""
    with httpx.Client(base_url=hostile_executor.url, timeout=120) as client:
        before = client.get("/healthz").json()["executions"]
        answered = {}
        for name, bad in BAD_REQUESTS.items():
            # One connection per request: an answer must not depend on an earlier one.
            headers = {b"Content-Type": b"application/json", b"Connection": b"close"}
            if bad.authorization is not None:
                headers[b"Authorization"] = bad.authorization.replace(
                    b"{token}", hostile_executor.token.encode()
                )
            if len(bad.body) > MAX_BODY_BYTES:
                answered[name] = post_until_answered(hostile_executor.url, headers, bad)
            else:
                response = client.post("/v1/executions", content=bad.body, headers=headers)
                answered[name] = response.status_code, response.text
        after = client.get("/healthz").json()["executions"]
    return answered, after - before


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_request_gets_its_4xx(
    answers: tuple[dict[str, tuple[int, str]], int], name: str
) -> None:
    status, body = answers[0][name]
    assert status == BAD_REQUESTS[name].expect, body[:500]
    assert json.loads(body)["detail"], "the answer must say what is wrong"


def test_no_bad_request_reached_a_sandbox(answers: tuple[dict[str, tuple[int, str]], int]) -> None:
    assert answers[1] == 0


@pytest.mark.parametrize(
    ("mode", "max_examples"), [(GenerationMode.NEGATIVE, 50), (GenerationMode.POSITIVE, 10)]
)
def test_fuzzing_the_openapi_document_finds_no_5xx(
    hostile_executor: LocalExecutor, mode: GenerationMode, max_examples: int
) -> None:
    with httpx.Client(timeout=900) as client:
        openapi = client.get(f"{hostile_executor.url}/openapi.json").json()
        failures = server_errors(
            openapi,
            client.send,
            base_url=hostile_executor.url,
            headers={"Authorization": f"Bearer {hostile_executor.token}"},
            mode=mode,
            max_examples=max_examples,
        )
    assert not failures, failures
