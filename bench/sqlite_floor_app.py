"""The driver floor on the SQLite file: a minimal Litestar app that does nothing but run the task
read (SELECT by id) or the priority write (UPDATE … RETURNING, committed on its own) on one
sqlite3 connection on the event loop, with the service's pragmas, and encode the row with
msgspec. No validation, authentication, envelope, logging, metrics or events: whatever
taskservice does on the SQLite file costs at least this much (its group commit aside, which
commits several writes at once where this commits each).

bench/run.py starts it beside the ceiling, as pg_floor_app.py, on the seeded file. By hand:

    FLOOR_DATABASE_PATH=/path/to/seeded.db uv run python bench/sqlite_floor_app.py PORT
"""

import os
import sqlite3
import sys
from datetime import UTC, datetime

import msgspec
from litestar import Litestar, Request, get, patch
from litestar.response import Response

from taskservice.adapters.sql.sqlite import configure_connection

COLUMNS = "id, title, description, status, priority, created_at, updated_at, version"
READ = f"SELECT {COLUMNS} FROM tasks WHERE id = ?"
# updated_at as the service stores it (naive UTC text, SQLAlchemy's DateTime format).
WRITE = f"UPDATE tasks SET priority = ?, updated_at = ?, version = version + 1 WHERE id = ? RETURNING {COLUMNS}"
_encode = msgspec.json.Encoder().encode
_NAMES = [name.strip() for name in COLUMNS.split(",")]
_connection: sqlite3.Connection | None = None


def _open() -> None:
    global _connection  # noqa: PLW0603 - the app as measured: one module-level connection
    _connection = sqlite3.connect(os.environ["FLOOR_DATABASE_PATH"], isolation_level=None, check_same_thread=False)
    configure_connection(_connection, 5000)


def _json(row: tuple[object, ...] | None) -> Response[bytes]:
    body = _encode(dict(zip(_NAMES, row, strict=True))) if row else b"{}"
    return Response(body, status_code=200 if row else 404, media_type="application/json")


@get("/v1/tasks/{task_id:int}")
async def read(task_id: int) -> Response[bytes]:
    assert _connection is not None
    return _json(_connection.execute(READ, (task_id,)).fetchone())


@patch("/v1/tasks/{task_id:int}")
async def write(task_id: int, request: Request) -> Response[bytes]:
    assert _connection is not None
    priority = msgspec.json.decode(await request.body())["priority"]
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return _json(_connection.execute(WRITE, (priority, now, task_id)).fetchone())


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar([read, write, healthz], on_startup=[_open])


if __name__ == "__main__":
    from ceiling import serve

    serve("sqlite_floor_app:create_app", int(sys.argv[1]))
