"""Counts the cases schemathesis sends, prints the count at the end of the run and, in CI,
lets the fuzz module fail a CI run with fewer than `MIN_CI_CASES`."""

from collections import Counter
from typing import Final

import pytest

MIN_CI_CASES: Final = 1_000
cases_by_operation: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if cases_by_operation:
        total = sum(cases_by_operation.values())
        by_operation = ", ".join(f"{name} {count}" for name, count in sorted(cases_by_operation.items()))
        terminalreporter.write_line(f"schemathesis: {total} cases ({by_operation})")
