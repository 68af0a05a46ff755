"""/schema/swagger and /schema/redoc load every script, style and icon from the service itself."""

from html.parser import HTMLParser

import pytest
from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware

Client = AsyncTestClient[RequestContextMiddleware]

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class AssetLinks(HTMLParser):
    """The URLs a browser fetches for the page: <script src>, <link href>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def assets_of(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/schema/swagger", "/schema/redoc", "/schema"])
async def test_the_docs_pages_reference_only_the_services_own_paths(memory_client: Client, page: str) -> None:
    html = (await memory_client.get(page)).text
    urls = assets_of(html)
    assert any(url.endswith(".js") for url in urls)
    assert all(url.startswith("/schema/static/") for url in urls), urls  # no CDN, no fonts service


@pytest.mark.parametrize("page", ["/schema/swagger", "/schema/redoc"])
async def test_every_asset_of_the_docs_is_served_with_its_content_type(memory_client: Client, page: str) -> None:
    for url in assets_of((await memory_client.get(page)).text):
        response = await memory_client.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        expected = next(kind for suffix, kind in CONTENT_TYPES.items() if url.endswith(suffix))
        assert expected in response.headers["content-type"], (url, response.headers["content-type"])
        assert "no-store" not in response.headers.get("cache-control", ""), "browsers may keep these"


async def test_the_assets_stay_out_of_the_api_description(memory_client: Client) -> None:
    paths = (await memory_client.get("/schema/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/schema")]
