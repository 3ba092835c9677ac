"""The failures of an openai or anthropic SDK call, classified as orchestrator.common.failures
says (apart from it so that a service without these SDKs can use that one).

Each SDK's APIStatusError and APIConnectionError (timeouts included) are HTTP failures;
its other errors (a reply that does not parse) are not, and each caller decides what they
mean.
"""

from __future__ import annotations

import anthropic
import openai

from orchestrator.common.failures import Rejection, status_failure
from orchestrator.common.retrying import RetryableFailure

SdkCallError = (
    openai.APIStatusError
    | openai.APIConnectionError
    | anthropic.APIStatusError
    | anthropic.APIConnectionError
)


def sdk_failure(exc: SdkCallError, *, timeout_s: float) -> RetryableFailure | Rejection:
    """What the error of one call means; `timeout_s` is the client's request timeout."""
    if isinstance(exc, anthropic.APIStatusError):
        # api_message is the error body's own message, without the SDK's framing
        return status_failure(exc.status_code, exc.api_message or exc.message, exc.response.headers)
    if isinstance(exc, openai.APIStatusError):
        return status_failure(exc.status_code, exc.message, exc.response.headers)
    if isinstance(exc, openai.APITimeoutError | anthropic.APITimeoutError):
        return RetryableFailure(f"no reply within {timeout_s:g} s ({type(exc).__name__})")
    return RetryableFailure(f"cannot reach the endpoint ({type(exc).__name__}: {exc})")
