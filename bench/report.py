"""The benchmark's results: medians over the repeats, the targets, results.json and the table.

Every timed run of a store is paired with a ceiling run just before it (one ceiling run per
scenario and repeat, then SQLite, PostgreSQL and their driver floors): `ratio` is the median of
req/s ÷ that ceiling run's req/s, `per CPU-s` the same per second of server CPU time (which
other processes on a shared machine cannot move), `to floor` the median of the service's req/s
÷ its store's driver floor's req/s measured in the same repeat.
"""

import os
import platform
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stores import Databases

COLUMNS = {
    "sqlite": "SQLite file",
    "postgres": "PostgreSQL",
    "sqlite floor": "driver floor (sqlite3)",
    "postgres floor": "driver floor (asyncpg)",
}
ERROR_KINDS = ("non2xx", "connect", "read", "write", "timeout")
# (store, scenario, least ratio to the ceiling)
RATIO_TARGETS = (
    ("sqlite", "get by id", 0.60),
    ("sqlite", "POST", 0.30),
    ("sqlite", "PATCH priority", 0.30),
    ("postgres", "get by id", 0.35),
    ("postgres", "POST", 0.25),
    ("postgres", "PATCH priority", 0.25),
    ("postgres", "list status=new limit=100 @10k", 0.10),
)
HERE = Path(__file__).parent
TAIL = 10  # p99 ≤ TAIL × p50


@dataclass
class Result:
    scenario: str
    column: str  # ceiling, a store, or a store's floor ("sqlite floor")
    runs: list[dict[str, Any]] = field(default_factory=list)
    rss_mib: float = 0.0
    checks: list[str] = field(default_factory=list)

    def median(self, key: str) -> float:
        values = [r[key] for r in self.runs if key in r]
        return statistics.median(values) if values else float("nan")

    @property
    def errors(self) -> dict[str, int]:
        return {k: sum(r[k] for r in self.runs) for k in ERROR_KINDS}

    def summary(self) -> dict[str, Any]:
        out = {
            "rps": round(self.median("rps"), 1),
            "ratio_to_ceiling": round(self.median("ratio"), 3),
            "ratio_per_cpu_second": round(self.median("cpu_ratio"), 3),
            "rps_per_server_cpu_second": round(self.median("rps_per_cpu_s"), 1),
            "p50_ms": round(self.median("p50_us") / 1000, 2),
            "p99_ms": round(self.median("p99_us") / 1000, 2),
            "errors": self.errors,
            "rss_mib": round(self.rss_mib, 1),
            "checks": self.checks,
            "runs": self.runs,
        }
        if any("floor_ratio" in r for r in self.runs):
            out["ratio_to_floor"] = round(self.median("floor_ratio"), 3)
        return out


def flags(cell: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if cell["p99_ms"] > TAIL * cell["p50_ms"]:
        out.append(f"p99 > {TAIL}× p50")
    errors = {k: v for k, v in cell["errors"].items() if v}
    if errors:
        out.append("errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    return out


def build(results: dict[tuple[str, str], Result], scenarios: list[str], failures: list[str]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for name in scenarios:
        row: dict[str, Any] = {"scenario": name}
        for column in COLUMNS:
            if (name, column) in results:
                row[column] = results[name, column].summary()
        rows.append(row)
    ceiling = results["ceiling", "ceiling"].summary()
    return {"ceiling": ceiling, "scenarios": rows, "targets": targets(rows, failures), "failures": failures}


def targets(rows: list[dict[str, Any]], failures: list[str]) -> list[dict[str, Any]]:
    by_name = {row["scenario"]: row for row in rows}
    out: list[dict[str, Any]] = []
    for store, name, goal in RATIO_TARGETS:
        cell = by_name.get(name, {}).get(store)
        if cell is not None:
            value, floor = cell["ratio_to_ceiling"], by_name[name].get(f"{store} floor")
            # The floor's own ratio: a target above it is out of reach of any service on this machine.
            floor_note = f"; the driver floor alone {floor['ratio_to_ceiling']:.2f}" if floor else ""
            out.append(
                {
                    "target": f"{COLUMNS[store]}: {name} ≥ {goal:.2f} of the ceiling",
                    "value": f"{value:.2f} (per CPU-s {cell['ratio_per_cpu_second']:.2f}{floor_note})",
                    "met": value >= goal,
                }
            )
    for store in ("sqlite", "postgres"):
        cells = {row["scenario"]: row[store] for row in rows if store in row}
        if not cells:
            continue
        tails = [
            f"{n} ({c['p99_ms']:.1f}/{c['p50_ms']:.1f} ms)" for n, c in cells.items() if "p99" in " ".join(flags(c))
        ]
        out.append(
            {
                "target": f"{COLUMNS[store]}: p99 ≤ {TAIL}× p50 in every scenario",
                "value": "; ".join(tails) or "all",
                "met": not tails,
            }
        )
        erring = [n for n, c in cells.items() if any(c["errors"].values())]
        wrong = [f for f in failures if f.startswith(f"{store} ")]
        out.append(
            {
                "target": f"{COLUMNS[store]}: no errors (every response the expected status, every check passes)",
                "value": "; ".join(erring + wrong) or "none",
                "met": not erring and not wrong,
            }
        )
    return out


def _cell(cell: dict[str, Any] | None, to_floor: str = "") -> list[str]:
    if cell is None:
        return ["—", "", "", "", ""]
    return [
        f"{cell['rps']:.0f}",
        f"{cell['ratio_to_ceiling']:.2f}",
        f"{cell['ratio_per_cpu_second']:.2f}",
        f"{cell['p50_ms']:.1f} / {cell['p99_ms']:.1f}",
        f"{cell['ratio_to_floor']:.2f}" if "ratio_to_floor" in cell else to_floor,
    ]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| scenario | SQLite req/s | ratio | per CPU-s | p50 / p99 ms | to floor "
        "| PostgreSQL req/s | ratio | per CPU-s | p50 / p99 ms | to floor | flags |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in report["scenarios"]:
        sqlite, postgres = row.get("sqlite"), row.get("postgres")
        marks = [f"SQLite: {f}" for f in flags(sqlite)] if sqlite else []
        marks += [f"PostgreSQL: {f}" for f in flags(postgres)] if postgres else []
        cells = [row["scenario"], *_cell(sqlite), *_cell(postgres), "; ".join(marks) or "ok"]
        lines.append("| " + " | ".join(cells) + " |")
    for row in report["scenarios"]:
        if "sqlite floor" in row or "postgres floor" in row:
            sqlite, postgres = (_cell(row.get(f"{store} floor"), "1") for store in ("sqlite", "postgres"))
            cells = [f"driver floor: {row['scenario']}", *sqlite, *postgres, ""]
            lines.append("| " + " | ".join(cells) + " |")
    ceiling = report["ceiling"]
    lines.append(
        f"| ceiling (every paired run) | {ceiling['rps']:.0f} | 1 | 1 | "
        f"{ceiling['p50_ms']:.1f} / {ceiling['p99_ms']:.1f} | | | | | | | |"
    )
    lines += ["", "| target | this run | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'NO'} |" for t in report["targets"]]
    m, s = report["machine"], report["settings"]
    lines += [
        "",
        f"Machine: {m['cpu']} ({m['cores']} cores), Linux {m['kernel']}, Python {m['python']}, SQLite {m['sqlite']}, "
        f"{m.get('postgres', 'no PostgreSQL')}; load average at start {m['loadavg_at_start']}; commit {m['commit']}.",
        f"wrk: {s['connections']} connections, 1 thread, {s['seconds']:g} s × {s['repeats']} repeats "
        f"(medians shown) after a {s['warmup_seconds']:g} s warm-up; servers on CPU {s['server_cpu']}, "
        f"wrk on CPU {s['load_generator_cpu']}; wall time {s.get('wall_minutes', '?')} min.",
        "",
        "Checks:",
    ]
    lines += [f"- {note}" for note in report["durability"]]
    for row in report["scenarios"]:
        for column in ("sqlite", "postgres"):
            lines += [f"- {COLUMNS[column]}, {row['scenario']}: {c}" for c in row.get(column, {}).get("checks", [])]
    lines += [f"- FAILED: {f}" for f in report["failures"]]
    return "\n".join(lines) + "\n"


def machine(databases: Databases | None) -> dict[str, Any]:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line), "")
    out: dict[str, Any] = {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip(),
    }
    if databases is not None:
        out["postgres"] = "PostgreSQL " + databases.server_version()
    return out
