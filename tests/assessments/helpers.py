"""Shared helpers of the assessment page and API tests: valid form data for a full exam,
starting / saving / completing through the test client, and reading a rendered page back."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from html import unescape

from django.forms.models import model_to_dict

from assessments.models import Assessment
from clinic.models import User
from tests.factories import BASELINE_DAY, EXAM_VALUES, REASSESSMENT_DAY, UserFactory
from tests.factories import days_ago as days_ago  # the page tests' visit days come from here too

STAFF_BACKEND = "clinic.backends.StaffBackend"


def _posted(value: object) -> str:
    if isinstance(value, bool):
        return "on"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# tests.factories.EXAM_VALUES as the browser posts it (unticked checkboxes are simply absent).
EXAM: dict[str, str] = {
    name: _posted(value) for name, value in EXAM_VALUES.items() if value is not None and value is not False
}

CM_FIELDS = ("true_left_cm", "true_right_cm", "apparent_left_cm", "apparent_right_cm")


def exam_data(changes: dict | None = None, **more) -> dict[str, str]:
    """The full exam with ``changes`` applied; a change to None leaves the field out (an unticked box)."""
    data = {**EXAM, **(changes or {}), **more}
    return {name: value for name, value in data.items() if value is not None}


def login(client, user: User):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def staff(clinic, *roles, **fields) -> User:
    return UserFactory(clinic=clinic, roles=list(roles), **fields)


# --- Driving the pages ----------------------------------------------------------------------------


def start(client, episode, kind: str = "initial", assessed_on: datetime.date | None = None):
    """POST the episode page's start form; returns the response (a redirect)."""
    day = assessed_on or (BASELINE_DAY if kind == "initial" else REASSESSMENT_DAY)
    return client.post(f"/episodes/{episode.pk}/assessments/new/", {"kind": kind, "assessed_on": day.isoformat()})


def started(client, episode, kind: str = "initial", assessed_on: datetime.date | None = None) -> Assessment:
    response = start(client, episode, kind, assessed_on)
    assessment = Assessment.objects.filter(episode=episode, kind=kind).order_by("-id").first()
    assert assessment is not None, f"no {kind} assessment started"
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/{assessment.pk}/"
    return assessment


def post_exam(client, assessment: Assessment, data: dict, *, action: str = "save", **extra):
    """POST the assessment screen with its "save" or "complete" button."""
    return client.post(f"/assessments/{assessment.pk}/", {**data, action: ""}, **extra)


def record(client, episode, *, kind: str = "initial", changes: dict | None = None, complete: bool = True) -> Assessment:
    """Start an assessment, fill the whole screen and save it (completing it by default)."""
    day = BASELINE_DAY if kind == "initial" else REASSESSMENT_DAY
    assessment = started(client, episode, kind, day)
    data = exam_data({"assessed_on": day.isoformat(), **(changes or {})})
    response = post_exam(client, assessment, data, action="complete" if complete else "save")
    assert response.status_code == 302, _errors_of(response)
    assessment.refresh_from_db()
    return assessment


def _errors_of(response) -> object:
    context = getattr(response, "context", None)
    return context["form"].errors if context and "form" in context else response.status_code


# --- Reading a rendered page back -------------------------------------------------------------------


def error_summary(html: str) -> dict[str, list[str]]:
    """The error summary's entries: anchor ("id_rom_flexion_left") -> link texts."""
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    if match is None:
        return {}
    entries: dict[str, list[str]] = defaultdict(list)
    for anchor, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group(0), re.S):
        entries[anchor].append(text)
    return dict(entries)


def page_messages(html: str) -> list[str]:
    """The flash messages a rendered page shows."""
    return [unescape(text) for text in re.findall(r'<p class="message[^"]*">(.*?)</p>', html, re.S)]


def snapshot(assessment: Assessment) -> dict:
    """Everything stored for one assessment, to show that a refused request changed nothing."""
    fresh = Assessment.objects.get(pk=assessment.pk)
    return {
        "assessment": model_to_dict(fresh) | {"updated_at": fresh.updated_at, "completed_at": fresh.completed_at},
        "rom": list(fresh.rom.order_by("motion").values()),
        "fms": list(fresh.fms.order_by("test").values()),
        "special_tests": list(fresh.special_tests.order_by("test", "side").values()),
        "findings": list(fresh.findings.order_by("code", "side").values()),
    }
