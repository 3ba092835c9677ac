"""The judge's error hierarchy; the service maps each kind to one HTTP status.

JudgeError
├── ConfigError         bad settings or INSTRUCTS file: the service refuses to start
├── BadJudgementInput   the request cannot be judged as sent (422): fix the request
└── BackendError        the model endpoint failed; never turned into a score
    ├── BackendUnavailable  transient (429/5xx/timeout/connection) and retries ran out (503)
    └── BackendRejected     will not succeed on retry: auth, unknown model, bad request (502)
"""

from __future__ import annotations


class JudgeError(Exception):
    """Base of every error the judge raises on purpose."""


class ConfigError(JudgeError):
    """The configuration is unusable; the message names the variable or file to fix."""


class BadJudgementInput(JudgeError):
    """The request's content cannot be judged (bad image, too many images, ...)."""


class BackendError(JudgeError):
    """The judge model's endpoint did not produce a reply."""


class BackendUnavailable(BackendError):
    """Transient failure that outlasted the retries; ``retry_after_s`` hints when to retry."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BackendRejected(BackendError):
    """The endpoint refused the call in a way retrying cannot fix."""
