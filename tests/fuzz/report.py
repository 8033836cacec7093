"""Collects what the schemathesis run covered, for the terminal summary and a file the issue
note quotes (``test-artifacts/schemathesis.txt``). A plugin of ``tests/conftest.py`` rather
than a conftest of its own, so it is loaded in pytest-xdist's controller too, which reports
what its workers covered."""

from __future__ import annotations

from pathlib import Path

import pytest

PHASES = ("coverage", "fuzzing", "stateful")

# role -> phase -> operation ("GET /api/...") -> [cases sent, cases answered 2xx];
# filled by tests/fuzz/harness.py.
COVERAGE: dict[str, dict[str, dict[str, list[int]]]] = {}

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "schemathesis.txt"


def count(role: str, phase: str, operation: str, status: int) -> None:
    tally = COVERAGE.setdefault(role, {}).setdefault(phase, {}).setdefault(operation, [0, 0])
    tally[0] += 1
    tally[1] += 200 <= status < 300


def merge(covered: dict) -> None:
    for role, phases in covered.items():
        for phase, operations in phases.items():
            for operation, (cases, answered) in operations.items():
                tally = COVERAGE.setdefault(role, {}).setdefault(phase, {}).setdefault(operation, [0, 0])
                tally[0] += cases
                tally[1] += answered


def summary_lines() -> list[str]:
    lines = []
    totals = dict.fromkeys(PHASES, 0)
    every = set()
    for role, phases in sorted(COVERAGE.items()):
        parts = []
        for phase in PHASES:
            operations = phases.get(phase, {})
            if not operations:
                continue
            cases = sum(tally[0] for tally in operations.values())
            answered = sum(tally[1] for tally in operations.values())
            least = min(tally[0] for tally in operations.values())
            totals[phase] += cases
            every.update(operations)
            parts.append(f"{phase} {cases} cases ({answered} 2xx) on {len(operations)} operations, least {least}")
        lines.append(f"{role}: " + "; ".join(parts))
    lines.append(
        f"all roles: {len(every)} operations, "
        + ", ".join(f"{phase} {cases}" for phase, cases in totals.items())
        + f", {sum(totals.values())} cases in all"
    )
    per_operation: dict[str, int] = {}
    for phases in COVERAGE.values():
        for operation, (cases, _) in phases.get("fuzzing", {}).items():
            per_operation[operation] = per_operation.get(operation, 0) + cases
    if per_operation:
        fewest = min(per_operation, key=per_operation.get)
        lines.append(f"fuzzing cases per operation, all roles: least {per_operation[fewest]} ({fewest})")
    return lines


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand this worker's share to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["schemathesis"] = {"coverage": COVERAGE}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In pytest-xdist's controller: add up what each worker covered."""
    share = node.workeroutput.get("schemathesis", {})
    merge(share.get("coverage", {}))


def pytest_terminal_summary(terminalreporter):
    if not COVERAGE or hasattr(terminalreporter.config, "workeroutput"):
        return
    lines = summary_lines()
    terminalreporter.section("schemathesis")
    for line in lines:
        terminalreporter.write_line(line)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    detail = [
        f"{role}\t{phase}\t{operation}\t{cases}\t{answered}"
        for role, phases in sorted(COVERAGE.items())
        for phase in PHASES
        for operation, (cases, answered) in sorted(phases.get(phase, {}).items())
    ]
    ARTIFACT.write_text("\n".join([*lines, "", "role\tphase\toperation\tcases\t2xx", *detail]) + "\n")
