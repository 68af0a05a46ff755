"""Instructions per request of the HTTP protocol alone: uvicorn's httptools protocol against the
bounded one (src/taskservice/server/protocol.py), a no-op ASGI app, a fake transport, one
keep-alive connection. Run each under callgrind with 0 and N requests; the difference over N is
the cost of one request (start-up cancels out):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/protocol_cost.py {plain|bounded} {0|5000}

"Collected" on the last line is the count. (perf's counters are not available in containers.)
"""

import asyncio
import sys
from functools import partial
from typing import Any

import uvloop
from uvicorn import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from taskservice.server.protocol import BoundedHttpToolsProtocol

# What wrk sends for GET by id.
REQUEST = b"GET /v1/tasks/1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"


async def app(_scope: Any, _receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name, default)


async def main(kind: str, requests: int) -> None:
    config = Config(app, log_config=None, access_log=False)
    config.load()
    bounds = {"header_timeout": 10, "max_header_bytes": 16384, "max_header_count": 100, "max_url_bytes": 8192}
    factory = HttpToolsProtocol if kind == "plain" else partial(BoundedHttpToolsProtocol, **bounds)
    protocol = factory(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(Transport())
    for _ in range(requests):
        protocol.data_received(REQUEST)
        await asyncio.sleep(0)  # the request's task runs
        await asyncio.sleep(0)  # and completes


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], int(sys.argv[2])))
