"""Probes: /healthz (the process answers; no I/O) and /readyz (the database answers, and how full
its pool is)."""

import asyncio
import time
from typing import Literal, cast

import msgspec
from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from taskservice.http.errors import RETRY_AFTER_SECONDS, error_response
from taskservice.http.json_response import EncodedJson
from taskservice.http.openapi import contract_operation, error_responses
from taskservice.ports.repository import HealthCheck


class Health(msgspec.Struct, frozen=True):
    status: Literal["ok"] = "ok"


class Check(msgspec.Struct, frozen=True, omit_defaults=True):
    status: Literal["ok", "error"]
    latency_ms: float
    error: str | None = None
    # This worker's connections: how many the pool may hold, how many are lent out (absent for the
    # in-memory store, which has none).
    size: int | None = None
    in_use: int | None = None


class Readiness(msgspec.Struct, frozen=True):
    status: Literal["ready"]
    checks: dict[str, Check]


# Encoded once: the answer never changes (json_response.py sends these bytes as they are).
_HEALTHY = msgspec.json.encode(Health())


def health_handlers(database: HealthCheck, *, timeout: float) -> list[HTTPRouteHandler]:
    @get("/healthz", operation_id="healthz", description="The process is up. Touches nothing else.")
    async def healthz() -> Response[Health]:
        return cast("Response[Health]", EncodedJson(_HEALTHY))

    @get(
        "/readyz",
        operation_id="readyz",
        operation_class=contract_operation(),
        responses=error_responses(503),
        description="The database answered one round-trip within the readiness timeout.",
    )
    async def readyz() -> Response[Readiness]:
        started = time.perf_counter()
        problem: str | None = None
        try:
            async with asyncio.timeout(timeout):
                await database.ping()
        except TimeoutError:
            problem = f"no answer within {timeout:g}s"
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            problem = type(error).__name__
        latency = round((time.perf_counter() - started) * 1000, 2)
        pool = database.pool()
        size, in_use = pool if pool is not None else (None, None)
        if problem is None:
            check = Check("ok", latency, size=size, in_use=in_use)
            return Response(Readiness(status="ready", checks={"database": check}))
        check = Check("error", latency, problem, size=size, in_use=in_use)
        checks = {"database": msgspec.to_builtins(check)}  # without the absent pool figures
        return error_response(  # pyright: ignore[reportReturnType]
            503,
            "service_unavailable",
            "The database is not available.",
            {"checks": checks},
            {"Retry-After": RETRY_AFTER_SECONDS},
        )

    return [healthz, readyz]
