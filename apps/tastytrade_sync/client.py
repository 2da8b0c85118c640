"""The only code that speaks to TastyTrade.

It wraps the `tastytrade` SDK (async, httpx2) behind plain synchronous functions. The one seam
for tests and the demo is the base URL: `TASTYTRADE_API_URL` (or a connection's environment)
points the real SDK at the loopback simulator through an httpx2 transport, the SDK's public
`**client_kwargs`, with no patching of its internals.
"""

from __future__ import annotations

import httpx2

USER_AGENT = "tastytrade-tracker/1.0"  # TastyTrade answers 401 without a product/version agent


class BaseUrlTransport(httpx2.AsyncBaseTransport):
    """Sends every request to `base_url` (scheme, host, port) and with our User-Agent."""

    def __init__(self, base_url: str | None = None, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.base = httpx2.URL(base_url) if base_url else None
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.base is not None:
            request.url = request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port)
            request.headers["Host"] = request.url.netloc.decode()
        request.headers["User-Agent"] = USER_AGENT
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
