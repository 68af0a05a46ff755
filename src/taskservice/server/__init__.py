"""How the server process runs: uvicorn's configuration, its supervisor for several workers and
the connection-level limits no ASGI app can see (settings → uvicorn; nothing here serves HTTP)."""
