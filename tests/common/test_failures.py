"""The one classification of failed HTTP calls: statuses, httpx transport errors, and every
error the openai and anthropic SDKs raise for a call."""

from __future__ import annotations

import anthropic
import httpx
import httpx2
import openai
import pytest

from orchestrator.common.failures import (
    RETRYABLE_STATUSES,
    Rejection,
    is_retryable_status,
    status_failure,
    transport_failure,
)
from orchestrator.common.retrying import RetryableFailure
from orchestrator.common.sdk_failures import SdkCallError, sdk_failure

REQUEST = httpx2.Request("POST", "http://model.test/v1/chat/completions")


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (401, False),
        (402, False),
        (403, False),
        (404, False),
        (405, False),
        (408, True),
        (409, True),
        (410, False),
        (413, False),
        (422, False),
        (425, True),
        (429, True),
        (451, False),
        (500, True),
        (501, True),
        (502, True),
        (503, True),
        (504, True),
        (529, True),
    ],
)
def test_retryable_statuses_are_408_409_425_429_and_every_5xx(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


def test_the_retryable_4xx_set() -> None:
    assert frozenset({408, 409, 425, 429}) == RETRYABLE_STATUSES


def test_a_retryable_status_carries_the_retry_after() -> None:
    failure = status_failure(503, "overloaded", {"retry-after": "7"})
    assert isinstance(failure, RetryableFailure)
    assert str(failure) == "HTTP 503: overloaded"
    assert failure.retry_after_s == 7.0


def test_another_4xx_is_a_rejection() -> None:
    assert status_failure(422, "bad field", {"retry-after": "7"}) == Rejection(422, "bad field")


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_no_answer_from_httpx_is_retryable(error: httpx.TransportError) -> None:
    failure = transport_failure(error)
    assert str(failure) == f"{type(error).__name__}: {error}"
    assert failure.retry_after_s is None


def answer(status: int) -> httpx2.Response:
    return httpx2.Response(status, headers={"retry-after": "2"}, request=REQUEST)


BODY = {"type": "error", "error": {"type": "some_error", "message": "from the body"}}

# Every status error class of each SDK, with the status it stands for.
OPENAI_STATUS_ERRORS: list[tuple[type[openai.APIStatusError], int]] = [
    (openai.BadRequestError, 400),
    (openai.AuthenticationError, 401),
    (openai.PermissionDeniedError, 403),
    (openai.NotFoundError, 404),
    (openai.ConflictError, 409),
    (openai.UnprocessableEntityError, 422),
    (openai.RateLimitError, 429),
    (openai.InternalServerError, 500),
    (openai.APIStatusError, 425),
]
ANTHROPIC_STATUS_ERRORS: list[tuple[type[anthropic.APIStatusError], int]] = [
    (anthropic.BadRequestError, 400),
    (anthropic.AuthenticationError, 401),
    (anthropic.PaymentRequiredError, 402),
    (anthropic.PermissionDeniedError, 403),
    (anthropic.NotFoundError, 404),
    (anthropic.RequestTimeoutError, 408),
    (anthropic.ConflictError, 409),
    (anthropic.UnprocessableEntityError, 422),
    (anthropic.RateLimitError, 429),
    (anthropic.InternalServerError, 500),
    (anthropic.ServiceUnavailableError, 503),
    (anthropic.OverloadedError, 529),
]


@pytest.mark.parametrize(
    ("error_type", "status"), OPENAI_STATUS_ERRORS, ids=lambda x: getattr(x, "__name__", x)
)
def test_openai_status_errors(error_type: type[openai.APIStatusError], status: int) -> None:
    error = error_type(f"Error code: {status}", response=answer(status), body=BODY)
    assert_classified(sdk_failure(error, timeout_s=30), status, f"Error code: {status}")


@pytest.mark.parametrize(
    ("error_type", "status"), ANTHROPIC_STATUS_ERRORS, ids=lambda x: getattr(x, "__name__", x)
)
def test_anthropic_status_errors_say_the_body_message(
    error_type: type[anthropic.APIStatusError], status: int
) -> None:
    error = error_type(f"Error code: {status}", response=answer(status), body=BODY)
    assert_classified(sdk_failure(error, timeout_s=30), status, "from the body")


def test_an_anthropic_error_without_a_body_message_says_the_sdk_message() -> None:
    error = anthropic.BadRequestError("Error code: 400", response=answer(400), body=None)
    assert sdk_failure(error, timeout_s=30) == Rejection(400, "Error code: 400")


def assert_classified(failure: RetryableFailure | Rejection, status: int, message: str) -> None:
    if is_retryable_status(status):
        assert isinstance(failure, RetryableFailure)
        assert str(failure) == f"HTTP {status}: {message}"
        assert failure.retry_after_s == 2.0
    else:
        assert failure == Rejection(status, message)


@pytest.mark.parametrize(
    "error",
    [openai.APITimeoutError(request=REQUEST), anthropic.APITimeoutError(request=REQUEST)],
    ids=["openai", "anthropic"],
)
def test_a_timeout_is_retryable(error: SdkCallError) -> None:
    failure = sdk_failure(error, timeout_s=2.5)
    assert isinstance(failure, RetryableFailure)
    assert str(failure) == "no reply within 2.5 s (APITimeoutError)"
    assert failure.retry_after_s is None


@pytest.mark.parametrize(
    "error",
    [openai.APIConnectionError(request=REQUEST), anthropic.APIConnectionError(request=REQUEST)],
    ids=["openai", "anthropic"],
)
def test_an_unreachable_endpoint_is_retryable(error: SdkCallError) -> None:
    failure = sdk_failure(error, timeout_s=30)
    assert isinstance(failure, RetryableFailure)
    assert str(failure) == "cannot reach the endpoint (APIConnectionError: Connection error.)"
    assert failure.retry_after_s is None
