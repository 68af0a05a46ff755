""".env.example lists every setting with its default, and nothing else."""

from pathlib import Path

import msgspec

from taskservice.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def example_assignments() -> dict[str, str]:
    """Every commented-out `# NAME=value` line of .env.example."""
    pairs: dict[str, str] = {}
    for line in EXAMPLE.read_text().splitlines():
        text = line.removeprefix("# ").strip()
        name, sep, value = text.partition("=")
        if sep and name.isupper() and " " not in name:
            pairs[name] = value
    return pairs


def test_every_setting_is_listed_once_and_nothing_else() -> None:
    fields = {field.name.upper() for field in msgspec.structs.fields(Settings)}
    assert set(example_assignments()) == fields


def test_the_values_shown_are_the_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("\n".join(f"{k}={v}" for k, v in example_assignments().items()))
    assert load_settings({}, env_dir=tmp_path) == load_settings({}, env_dir=tmp_path / "empty") == Settings()
