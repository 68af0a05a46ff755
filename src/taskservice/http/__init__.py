"""The HTTP interface: Litestar handlers, wire schemas, error envelope and the outer ASGI middleware."""
