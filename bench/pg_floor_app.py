"""The driver floor on PostgreSQL: a minimal Litestar app that does nothing but run the task
read (SELECT by id) or the priority write (UPDATE … RETURNING) through an asyncpg pool and
encode the row with msgspec. No validation, envelope, logging or events: whatever taskservice
does on PostgreSQL costs at least this much, so it is the bar to be measured against.

bench/run.py starts it beside the ceiling on the same uvicorn settings and core (ceiling.serve),
against the seeded PostgreSQL database, and reports for GET by id and PATCH priority the
service's `to floor` (see docs/performance.md for today's figures). By hand:

    FLOOR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB uv run python bench/pg_floor_app.py PORT
"""

import os
import sys

import asyncpg
import msgspec
from litestar import Litestar, Request, get, patch
from litestar.response import Response

COLUMNS = "id, title, description, status, priority, created_at, updated_at, version"
READ = f"SELECT {COLUMNS} FROM tasks WHERE id = $1"
WRITE = f"UPDATE tasks SET priority = $2, updated_at = now(), version = version + 1 WHERE id = $1 RETURNING {COLUMNS}"
_encode = msgspec.json.Encoder().encode
_pool: asyncpg.Pool | None = None


async def _open() -> None:
    global _pool  # noqa: PLW0603 - the app as measured: one module-level pool, nothing around it
    _pool = await asyncpg.create_pool(os.environ["FLOOR_DATABASE_URL"], min_size=10, max_size=10)


def _json(row: asyncpg.Record | None) -> Response[bytes]:
    return Response(
        _encode(dict(row)) if row else b"{}", status_code=200 if row else 404, media_type="application/json"
    )


@get("/v1/tasks/{task_id:int}")
async def read(task_id: int) -> Response[bytes]:
    assert _pool is not None
    async with _pool.acquire() as conn:
        return _json(await conn.fetchrow(READ, task_id))


@patch("/v1/tasks/{task_id:int}")
async def write(task_id: int, request: Request) -> Response[bytes]:
    assert _pool is not None
    priority = msgspec.json.decode(await request.body())["priority"]
    async with _pool.acquire() as conn:
        return _json(await conn.fetchrow(WRITE, task_id, priority))


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar([read, write, healthz], on_startup=[_open])


if __name__ == "__main__":
    from ceiling import serve

    serve("pg_floor_app:create_app", int(sys.argv[1]))
