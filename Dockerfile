# syntax=docker/dockerfile:1
# taskservice: `docker build -t taskservice .`, then `docker run -p 127.0.0.1:8000:8000 -v taskservice-data:/data taskservice`
# (SQLite on the volume), or `docker compose up` (PostgreSQL). docs/operations.md explains every setting.
#
# Base images are pinned by digest: a rebuild starts from the very same bytes, whatever the tag
# points to by then. Python: python:3.11.10-slim-bookworm (the version line CI tests; the suite
# also passes on 3.12), digest as recorded by Renovate in github.com/nalabelle/build
# (images/digests.Dockerfile) and pinned alike by other public Dockerfiles; it could not be pulled
# where this file was written: check it with `docker buildx imagetools inspect
# python:3.11.10-slim-bookworm` and move both FROM lines together.

# ---- build: resolve nothing, install exactly what uv.lock says ----------------------------
FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16 AS build
# uv, the resolver that wrote uv.lock, from PyPI pinned by the hashes of its two Linux wheels
# (x86_64, aarch64), checked against the files themselves: no second base image to pin.
RUN echo "uv==0.13.9" \
      "--hash=sha256:d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19" \
      "--hash=sha256:5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe" > /tmp/uv.txt \
    && pip install --no-cache-dir --no-deps --only-binary=:all: --require-hashes -r /tmp/uv.txt \
    && rm /tmp/uv.txt
# Bytecode compiled at build time (start-up reads .pyc files, the read-only image cannot write them).
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, in their own layer: rebuilt only when the lock changes. Runtime ones only:
# --no-default-groups leaves out every dependency group, the default `nox` one included.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups --no-install-project --no-editable
# Then the project itself, installed as a package (not a link to /app/src). pyproject.toml
# ([tool.alembic]) and migrations/ stay in /app, the working directory, where `taskservice
# migrate` and migrate-on-start find them.
COPY src ./src
COPY migrations ./migrations
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups --no-editable

# ---- runtime: the slim base, the virtualenv and the migrations; no uv, no sources ---------
FROM python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16 AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="taskservice" \
      org.opencontainers.image.description="The team's canonical list of tasks, over HTTP/JSON." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.10-slim-bookworm" \
      org.opencontainers.image.base.digest="sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16"
RUN groupadd --system --gid 10001 taskservice \
    && useradd --system --no-log-init --uid 10001 --gid taskservice --home-dir /app --shell /usr/sbin/nologin taskservice \
    && mkdir /data \
    && chown taskservice:taskservice /data
WORKDIR /app
# Owned by root and read-only to the service user: only /data is writable.
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/pyproject.toml /app/pyproject.toml
COPY --from=build /app/migrations /app/migrations
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
