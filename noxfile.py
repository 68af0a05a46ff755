"""Sessions: `uv run nox` runs lint, typecheck and test; `uv run nox -s bench` runs the benchmark.

Each session installs from uv.lock (nox-uv syncs with --locked), never from loose requirements,
into its own environment under .nox/: the project, its runtime dependencies and the session's
dependency groups (nox-uv passes --no-default-groups). `uv run` itself installs only the `nox`
group into .venv, so `uv run taskservice` carries no dev tools.
"""

import nox
from nox_uv import session

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "test"]
nox.options.reuse_venv = "yes"
nox.needs_version = ">=2025.2.9"


@session(uv_groups=["lint"])
def lint(s: nox.Session) -> None:
    """ruff (lint + format), the dependency rule (import-linter), the Dockerfile and compose.yaml."""
    s.run("ruff", "check", ".")
    s.run("ruff", "format", "--check", ".")
    s.run("lint-imports")
    s.run("hadolint", "Dockerfile")
    s.run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml")


@session(uv_groups=["typecheck"])
def typecheck(s: nox.Session) -> None:
    """pyright in strict mode over src, tests, migrations and this file."""
    s.run("pyright")


@session(uv_groups=["test"])
def test(s: nox.Session) -> None:
    """The whole suite with branch coverage over src/ (fails under 90 %); the total is the last line."""
    s.run(
        "pytest",
        "--cov",
        "--cov-report=",  # reported (and fail_under enforced) below, after pytest's own summary
        "--cov-fail-under=0",
        *s.posargs,
        env={"COVERAGE_PROCESS_START": "pyproject.toml"},
    )
    s.run("coverage", "report")


@session(uv_groups=["dev"], default=False)
def bench(s: nox.Session) -> None:
    """The benchmark (not a default session): wrk against taskservice on the SQLite file and on
    PostgreSQL side by side, a bare-Litestar ceiling and each store's driver floor (docs/performance.md).

    Needs wrk (installed from Debian's packages when running as root), PostgreSQL at
    127.0.0.1:5432 (or `--database-url`, or `--stores sqlite`) and ~13 minutes.
    Pass options after `--`: `uv run nox -s bench -- --seconds 5 --repeats 2 --stores sqlite`.
    """
    s.run("python", "bench/run.py", *s.posargs)
