"""Serve the app with uvicorn: one process, or a supervisor and WORKERS processes.

This is `uvicorn.run` with two differences: the server and its supervisor stop without
resetting a connection (supervisor.py), and each connection is bounded (protocol.py) by the
settings below, the server's half of the service's limits (docs/operations.md, "Limits").
"""

import math
import sys
from functools import partial

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE

from taskservice.server.protocol import BoundedHttpToolsProtocol
from taskservice.server.supervisor import ClosingMultiprocess, DrainingServer
from taskservice.settings import Settings

APP_FACTORY = "taskservice.bootstrap:app_from_environment"
# As gunicorn's limit_request_fields: far more than any real client sends.
MAX_HEADER_COUNT = 100
# As nginx's large_client_header_buffers (8 KiB): room for any list query the API takes.
MAX_URL_BYTES = 8 * 1024
# Seconds a connection may stay open without a request (uvicorn's default, kept).
IDLE_TIMEOUT = 5


def server_config(settings: Settings) -> Config:
    return Config(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,  # taskservice.logs already owns logging, in this process and each worker
        access_log=False,  # the request-context middleware writes the one access line
        # In-flight requests get this long after SIGTERM; the lifespan then drains events.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout),
        server_header=False,
        timeout_keep_alive=IDLE_TIMEOUT,
        # From settings (so .env files count too), not from uvicorn's own read of the environment.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # A class (here a partial of one) instead of "httptools": uvicorn calls it per connection.
        http=partial(  # pyright: ignore[reportArgumentType] - a factory of protocols, as uvicorn uses it
            BoundedHttpToolsProtocol,
            header_timeout=settings.header_timeout,
            max_header_bytes=settings.max_header_bytes,
            max_header_count=MAX_HEADER_COUNT,
            max_url_bytes=MAX_URL_BYTES,
        ),
    )


def run_server(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; exit 3 (uvicorn's start-up failure) if serving never began."""
    config = server_config(settings)
    server = DrainingServer(config=config)
    try:
        # Bound here, not by the server: the server then closes it itself, after draining it.
        sockets = [config.bind_socket()]
        if config.workers > 1:
            ClosingMultiprocess(config, sockets=sockets).run()
        else:
            server.run(sockets)
    except KeyboardInterrupt:  # a second Ctrl-C: the stop is as graceful as it got
        pass
    if not server.started and config.workers == 1:
        sys.exit(STARTUP_FAILURE)
