"""The ceiling: a minimal Litestar app that returns a fixed small JSON object.

It runs on the same uvicorn settings as `taskservice serve` (one worker, no access log, no
server header, no logging config), so the ratio of a taskservice route to this app's speed is
the share of the framework's own ceiling our code leaves on the table. `serve` is those
settings, shared with the PostgreSQL driver floor (pg_floor_app.py).
Run: `python bench/ceiling.py PORT`.
"""

import sys
from pathlib import Path

import uvicorn
from litestar import Litestar, get


@get("/ceiling")
async def ceiling() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar(route_handlers=[ceiling], logging_config=None, debug=False)


def serve(target: str, port: int) -> None:
    """Run `module:factory` from bench/ on the service's uvicorn settings."""
    uvicorn.run(
        target,
        app_dir=str(Path(__file__).parent),
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=1,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
    )


if __name__ == "__main__":
    serve("ceiling:create_app", int(sys.argv[1]))
