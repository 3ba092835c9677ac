"""The executor service: the warm sandbox pool behind a stable, authenticated HTTP API.

One per machine; it is the unit of horizontal scaling. Run with `python -m orchestrator.executor`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestrator.common.body_limit import BodySizeLimit
from orchestrator.common.processes import watch_parent
from orchestrator.common.validation_errors import answer_validation_errors
from orchestrator.executor.api import ExecutionRequest, ExecutionResult, Health
from orchestrator.executor.docker.provider import DockerSandboxProvider
from orchestrator.executor.pool import WarmPool
from orchestrator.executor.sandbox import PoolSaturated, SandboxProvider, SandboxUnavailable
from orchestrator.executor.settings import ExecutorSettings

log = logging.getLogger(__name__)


def create_app(settings: ExecutorSettings, provider: SandboxProvider | None = None) -> FastAPI:
    """The FastAPI app; `provider` defaults to Docker containers from settings.sandbox."""
    pool_holder: dict[str, WarmPool] = {}
    sandboxes = provider or DockerSandboxProvider(settings.sandbox)  # fails fast if no engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = WarmPool(
            sandboxes,
            size=settings.pool_size,
            max_concurrency=settings.max_concurrency,
            max_queue=settings.max_queue,
            acquire_timeout_s=settings.acquire_timeout_s,
        )
        pool_holder["pool"] = pool
        await pool.start()
        watch = (
            asyncio.create_task(watch_parent(settings.parent_pid, shut_down_orphaned))
            if settings.parent_pid
            else None
        )
        try:
            yield
        finally:
            if watch is not None:
                watch.cancel()
            await pool.close()

    app = FastAPI(
        title="PandasPlotBench executor",
        version="1",
        summary="Runs untrusted plotting code in throwaway sandboxes and returns its PNGs.",
        lifespan=lifespan,
    )
    answer_validation_errors(app, "execution request")

    bearer = HTTPBearer(auto_error=False)
    expected = settings.token.get_secret_value().encode()

    # A default-argument Depends: the closure's `bearer` is invisible to string annotations.
    def authorize(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), expected
        ):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="missing or wrong bearer token (Authorization: Bearer <EXECUTOR_TOKEN>)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.post(
        "/v1/executions",
        response_model=ExecutionResult,
        dependencies=[Depends(authorize)],
        responses={
            401: {"description": "missing or wrong token"},
            413: {"description": "body over the size limit"},
            503: {"description": "saturated or no sandbox available; see Retry-After"},
        },
    )
    async def execute(request: ExecutionRequest) -> ExecutionResult | JSONResponse:
        try:
            return await pool_holder["pool"].run(request)
        except PoolSaturated as exc:
            return JSONResponse(
                {"detail": str(exc)},
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        except SandboxUnavailable as exc:
            log.error("execution failed for infrastructure reasons: %s", exc)
            return JSONResponse(
                {"detail": f"no sandbox available: {exc}"},
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return pool_holder["pool"].health()

    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        setting="EXECUTOR_MAX_BODY_BYTES",
        hint="send smaller files (data.csv) or less code",
    )
    return app


def shut_down_orphaned() -> None:
    """The process that started this service is gone: a SIGTERM to ourselves makes uvicorn
    shut down as it would on `kill`, and the lifespan then removes every sandbox."""
    log.warning("the parent process is gone; shutting down")
    os.kill(os.getpid(), signal.SIGTERM)
