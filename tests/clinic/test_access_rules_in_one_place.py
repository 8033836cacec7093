"""Access rules live in one place, the class closed: no module that answers a request (HTML
views, API views, template tags, context processors) checks a role with ``has_perm`` or picks
a user's records by clinic itself. Those modules call the named predicates and scoped
querysets of ``clinic/permissions.py`` and the getters of ``clinic/access.py``, so a rule is
changed, reviewed and tested once.

A source scan: a new view module is covered without editing this file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("clinic", "intake", "assessments", "plans")

# Calls that pick rows: a clinic among their keyword arguments is a hand-written scoping.
_ROW_PICKERS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "get_object_or_404", "Q"}
# Role and clinic checks that belong in clinic/permissions.py and clinic/access.py.
_CHECKS = {"has_perm", "has_perms", "clinic_rows"}


def request_modules() -> list[Path]:
    found = []
    for app in PROJECT_APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            if (
                path.name in {"views.py", "api.py", "context_processors.py"}
                or path.name.endswith("_views.py")
                or "templatetags" in relative.parts
            ):
                found.append(relative)
    return sorted(found)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_clinic_lookup(keyword: str | None) -> bool:
    if keyword is None:
        return False
    parts = keyword.split("__")
    return "clinic" in parts or "clinic_id" in parts


def hand_written_rules(source: str) -> list[str]:
    """Each role check or clinic scoping in ``source``, as "line: what", in line order."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called in _CHECKS:
                found.append((node.lineno, f"{called}()"))
            elif called in _ROW_PICKERS and any(_is_clinic_lookup(keyword.arg) for keyword in node.keywords):
                found.append((node.lineno, f"{called}() by clinic"))
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if sum(_name(operand) in {"clinic", "clinic_id"} for operand in operands) >= 2:
                found.append((node.lineno, "clinic compared"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_the_scan_finds_the_request_modules():
    modules = {str(path) for path in request_modules()}
    for expected in [
        "clinic/views.py",
        "clinic/api.py",
        "clinic/context_processors.py",
        "clinic/fhir/views.py",
        "clinic/portal/views.py",
        "clinic/scheduling/reminder_views.py",
        "clinic/scheduling/templatetags/schedule_tags.py",
        "clinic/webhooks/api.py",
        "intake/views.py",
        "assessments/api.py",
        "plans/views.py",
    ]:
        assert expected in modules


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("request.user.has_perm('plans.view_intervention')", ["1: has_perm()"]),
        ("user.has_perms(needed)", ["1: has_perms()"]),
        ("permissions.clinic_rows(request.user, Patient)", ["1: clinic_rows()"]),
        ("Intervention.objects.filter(clinic=request.user.clinic)", ["1: filter() by clinic"]),
        ("Token.objects.filter(owner__clinic_id=user.clinic_id)", ["1: filter() by clinic"]),
        ("get_object_or_404(Plan, pk=pk, episode__patient__clinic=clinic)", ["1: get_object_or_404() by clinic"]),
        ("row.clinic_id != request.user.clinic_id", ["1: clinic compared"]),
        # Not scopings: a form or a service told which clinic a row is made for, a clinic's name.
        ("AddItemForm(clinic=plan.episode.patient.clinic)", []),
        ("services.library_seed(clinic=user.clinic)", []),
        ("permissions.scoped(user, Intervention).filter(active=True)", []),
        ("access.plan_for(request.user, pk, change=True)", []),
    ],
)
def test_the_scan_tells_a_hand_written_rule(source, expected):
    assert hand_written_rules(source) == expected


@pytest.mark.parametrize("module", request_modules(), ids=str)
def test_no_request_module_checks_roles_or_clinics_by_hand(module):
    found = hand_written_rules((ROOT / module).read_text())
    assert not found, (
        f"{module} checks access by hand ({', '.join(found)}): name the rule as a predicate or a scoped "
        "queryset in clinic/permissions.py, or a getter in clinic/access.py, and call that."
    )
