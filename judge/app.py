"""The judge HTTP service: `POST /v1/judgements` (Bearer JUDGE_TOKEN) and `GET /healthz`.

Every error answers ErrorBody:
- 400 the body is not UTF-8 JSON;
- 401 missing or wrong token;
- 413 body over JUDGE_MAX_BODY_BYTES (refused while reading, before parsing);
- 422 a request that cannot be judged (the detail says what to fix);
- 502 the judge model's endpoint refused the call: fix the configuration;
- 503 the endpoint stayed unavailable through the retries: try again later.
A backend failure is never turned into a score.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from judge.api import ErrorBody, JudgeHealth, JudgementRequest, JudgementResponse
from judge.backends import Backend, build_backend
from judge.cache import ReplyCache
from judge.errors import BackendRejected, BackendUnavailable, BadJudgementInput
from judge.inputs import ImageLimits
from judge.prompts import load_instructions
from judge.service import JudgeService
from judge.settings import JudgeSettings
from orchestrator.common.body_limit import BodySizeLimit
from orchestrator.common.pngcheck import PngLimits
from orchestrator.common.validation_errors import answer_validation_errors

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "the body could not be read as UTF-8 JSON",
        401: "missing or wrong Bearer token",
        413: "request body over JUDGE_MAX_BODY_BYTES",
        422: "the request cannot be judged as sent",
        502: "the judge model's endpoint refused the call (configuration)",
        503: "the judge model's endpoint is unavailable; retry later",
    }.items()
}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(detail=detail).model_dump(), status_code=status, headers=headers)


_bearer = HTTPBearer(auto_error=False, description="JUDGE_TOKEN")


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    token: bytes = request.app.state.token
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), token):
        raise HTTPException(
            401,
            "send the judge token as 'Authorization: Bearer <JUDGE_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_app(settings: JudgeSettings, backend: Backend | None = None) -> FastAPI:
    """The service; it takes ownership of ``backend`` (default: the one settings name)."""
    instructions = load_instructions(settings.instructs)  # fails before anything is opened
    service = JudgeService(
        cache=ReplyCache(settings.cache_path),
        backend=backend or build_backend(settings),
        instructions=instructions,
        limits=ImageLimits(
            max_images=settings.max_images,
            png=PngLimits(max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels),
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await service.aclose()

    app = FastAPI(
        title="PandasPlotBench judge",
        version="1",
        lifespan=lifespan,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        setting="JUDGE_MAX_BODY_BYTES",
        hint="send fewer or smaller images",
    )
    app.state.service = service
    app.state.token = settings.token.get_secret_value().encode()

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400:  # FastAPI's answer to a body that does not decode
            detail += ": send a UTF-8 JSON JudgementRequest"
        return _error(exc.status_code, detail, dict(exc.headers or {}))

    answer_validation_errors(app, "judgement request")

    @app.exception_handler(BadJudgementInput)
    async def bad_input(_: Request, exc: BadJudgementInput) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(BackendRejected)
    async def backend_rejected(_: Request, exc: BackendRejected) -> JSONResponse:
        return _error(502, str(exc))

    @app.exception_handler(BackendUnavailable)
    async def backend_unavailable(_: Request, exc: BackendUnavailable) -> JSONResponse:
        headers = None
        if exc.retry_after_s is not None:
            headers = {"Retry-After": str(math.ceil(exc.retry_after_s))}
        return _error(503, str(exc), headers)

    @app.post(
        "/v1/judgements",
        response_model=JudgementResponse,
        responses=_ERRORS,
        dependencies=[Depends(require_token)],
    )
    async def judge(request: JudgementRequest) -> JudgementResponse:
        return await service.judge(request)

    @app.get("/healthz", response_model=JudgeHealth)
    async def healthz() -> JudgeHealth:
        return service.health()

    return app
