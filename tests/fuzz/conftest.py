"""Collects what the schemathesis run covered, for the terminal summary and a file the issue
note quotes (``test-artifacts/schemathesis.txt``)."""

from __future__ import annotations

from pathlib import Path

# role -> operation ("GET /api/...") -> cases sent; filled by test_api_schemathesis.
COVERAGE: dict[str, dict[str, int]] = {}

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis.txt"


def summary_lines() -> list[str]:
    lines = []
    for role, operations in sorted(COVERAGE.items()):
        lines.append(f"{role}: {len(operations)} operations, {sum(operations.values())} cases")
    every = {name for operations in COVERAGE.values() for name in operations}
    total = sum(sum(operations.values()) for operations in COVERAGE.values())
    lines.append(f"all roles: {len(every)} operations, {total} cases")
    return lines


def pytest_terminal_summary(terminalreporter):
    if not COVERAGE:
        return
    lines = summary_lines()
    terminalreporter.section("schemathesis")
    for line in lines:
        terminalreporter.write_line(line)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    detail = [
        f"{role}\t{operation}\t{cases}"
        for role, operations in sorted(COVERAGE.items())
        for operation, cases in sorted(operations.items())
    ]
    ARTIFACT.write_text("\n".join([*lines, "", "role\toperation\tcases", *detail]) + "\n")
