# syntax=docker/dockerfile:1
# taskservice: `docker build -t taskservice .`, then `docker run -p 8000:8000 -v taskservice-data:/data taskservice`
# (SQLite on the volume), or `docker compose up` (PostgreSQL). docs/operations.md explains every setting.

# The version CI tests on (the suite also passes on 3.12: PYTHON_VERSION=3.12 builds it).
ARG PYTHON_VERSION=3.11

# uv, pinned: the same resolver that wrote uv.lock installs from it.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---- build: resolve nothing, install exactly what uv.lock says ----------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, in their own layer: rebuilt only when the lock changes. Runtime ones only:
# --no-default-groups leaves out every dependency group, the default `nox` one included.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-default-groups --no-install-project
# Then the project itself. It stays in the project layout (/app/src, /app/migrations,
# /app/pyproject.toml): `taskservice migrate` and migrate-on-start find Alembic's scripts there.
COPY src ./src
COPY migrations ./migrations
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-default-groups

# ---- runtime: the slim base, the virtualenv and the sources; no uv, no compilers ----------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 taskservice \
    && useradd --system --no-log-init --uid 10001 --gid taskservice --home-dir /app --shell /usr/sbin/nologin taskservice \
    && mkdir /data \
    && chown taskservice:taskservice /data
WORKDIR /app
# Owned by root and read-only to the service user: only /data is writable.
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TZ=UTC \
    APP_ENV=prod \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite+aiosqlite:////data/taskservice.db
VOLUME ["/data"]
# Numeric, so that runtimes can verify "non-root" without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# Same check the compose file uses; `taskservice check` needs no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["taskservice", "check"]
# Exec form: the server is PID 1 and receives SIGTERM itself (graceful shutdown, then exit 0).
# The same command as `uv run taskservice` in the README.
CMD ["taskservice"]
