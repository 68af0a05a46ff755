"""GET /metrics: the Prometheus text exposition, behind METRICS_TOKEN when one is set.

Not behind the users' authentication: Prometheus scrapes with at most a static bearer token
(`authorization` in its scrape config), which is what METRICS_TOKEN is.
"""

import hmac
from collections.abc import Callable
from typing import Annotated

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import HeaderParameter

from taskservice.http.errors import error_response

PATH = "/metrics"


def metrics_handler(exposition: Callable[[], bytes], *, content_type: str, token: str | None) -> HTTPRouteHandler:
    """`exposition`: the scrape's text; `token`: the bearer token a scrape must present (None: open)."""
    expected = token.encode() if token is not None else None
    media_type = content_type.removesuffix("; charset=utf-8")  # Litestar adds it to every text/ type

    # Not in the OpenAPI document: it is the operators' endpoint (docs/operations.md), not the API's.
    @get(PATH, include_in_schema=False, sync_to_thread=False)
    def metrics(
        authorization: Annotated[str | None, HeaderParameter(name="authorization", required=False)] = None,
    ) -> Response[bytes]:
        if expected is not None and not _presents(authorization, expected):
            return error_response(  # pyright: ignore[reportReturnType]
                401,
                "unauthenticated",
                "GET /metrics needs the bearer token METRICS_TOKEN sets.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(exposition(), media_type=media_type)

    return metrics


def _presents(authorization: str | None, expected: bytes) -> bool:
    """Whether the header carries the token. Compared in constant time, so the time taken does not
    tell how much of a guess was right; the scheme's case is free (RFC 9110)."""
    if authorization is None:
        return False
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), expected)
