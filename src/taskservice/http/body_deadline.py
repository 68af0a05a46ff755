"""The request body's read time, bounded: a client that sends less than its Content-Length (or
a chunked body that never ends) is answered `408 request_timeout` once BODY_TIMEOUT has passed
since the request arrived, instead of holding its connection and worker slot until
REQUEST_TIMEOUT turns it into a `504` that blames the service.

uvicorn has no setting for this (its only timer is the idle keep-alive one), and only the app
knows when it waits for a body, so it is bounded here, around `receive`, by the outer middleware.
"""

import asyncio

from litestar.types import Receive, ReceiveMessage


class BodyTimeout(Exception):
    """The request body did not arrive in time (answered 408 by http/errors.py)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} s")
        self.seconds = seconds


def body_read_within(receive: Receive, seconds: float) -> Receive:
    """`receive`, raising BodyTimeout if the body has not ended `seconds` from now; once it has
    ended (or the client went away), `receive` as it is (a response may wait for a disconnect)."""
    deadline = asyncio.get_running_loop().time() + seconds
    ended = False

    async def receive_in_time() -> ReceiveMessage:
        nonlocal ended
        if ended:
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout(seconds) from None
        ended = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return receive_in_time
