"""Collects what the schemathesis run covered, for the terminal summary and a file the issue
note quotes (``test-artifacts/schemathesis.txt``). A plugin of ``tests/conftest.py`` rather
than a conftest of its own, so it is loaded in pytest-xdist's controller too, which reports
what its workers covered."""

from __future__ import annotations

from pathlib import Path

import pytest

# role -> operation ("GET /api/...") -> cases sent; filled by test_api_schemathesis.
COVERAGE: dict[str, dict[str, int]] = {}

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis.txt"


def merge(covered: dict[str, dict[str, int]]) -> None:
    for role, operations in covered.items():
        for operation, cases in operations.items():
            COVERAGE.setdefault(role, {})
            COVERAGE[role][operation] = COVERAGE[role].get(operation, 0) + cases


def summary_lines() -> list[str]:
    lines = []
    for role, operations in sorted(COVERAGE.items()):
        lines.append(f"{role}: {len(operations)} operations, {sum(operations.values())} cases")
    every = {name for operations in COVERAGE.values() for name in operations}
    total = sum(sum(operations.values()) for operations in COVERAGE.values())
    lines.append(f"all roles: {len(every)} operations, {total} cases")
    return lines


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand this worker's share to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["schemathesis"] = COVERAGE


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In pytest-xdist's controller: add up what each worker covered."""
    merge(node.workeroutput.get("schemathesis", {}))


def pytest_terminal_summary(terminalreporter):
    if not COVERAGE or hasattr(terminalreporter.config, "workeroutput"):
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
