"""Answers a request that failed validation with 422, without echoing the request back.

Shared by the executor and the judge services. FastAPI's default 422 answer echoes the
offending input, and encoding that echo fails for values JSON parsing accepts but strict
JSON encoding does not (NaN, Infinity, lone UTF-16 surrogates): the client then gets a 500
instead of its 422. Naming each field and what is wrong with it is enough to fix a request.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def describe_validation_error(exc: RequestValidationError, what: str) -> str:
    """One line: ``invalid <what>: <field>: <problem>; ...``."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            message = f"{message} ({error.get('ctx', {}).get('error')})"
        problems.append(f"{where}: {message}" if where else message)
    return f"invalid {what}: " + "; ".join(problems)


def answer_validation_errors(app: FastAPI, what: str) -> None:
    """Installs the 422 handler; its body is ``{"detail": <one line>}``."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_error(exc, what)}, status_code=422)
