"""Shared helpers of the assessment page and API tests: valid form data for a full exam,
starting / saving / completing through the test client, and reading a rendered page back."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from html import unescape
from html.parser import HTMLParser

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


class _FormReader(HTMLParser):
    """What a browser would send for each named control: text inputs, ticked boxes, selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.controls: set[str] = set()
        self.options: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None
        self._first_option: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "option" and self._select:
            value = attributes.get("value", "")
            self._first_option.setdefault(self._select, value)
            self.options[self._select].append(value)
            if "selected" in attributes:
                self.values[self._select] = value
            return
        if not name or name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in {"hidden", "submit"}:
                return
            self.controls.add(name)
            if kind in {"radio", "checkbox"}:
                if "checked" in attributes:
                    self.values[name] = attributes.get("value", "on")
            else:
                self.values[name] = attributes.get("value", "")
        elif tag == "select":
            self.controls.add(name)
            self._select = name
        elif tag == "textarea":
            self.controls.add(name)
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            # A select with nothing selected sends its first option, as a browser does.
            self.values.setdefault(self._select, self._first_option.get(self._select, ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None


def shown_form(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    return reader


def shown_values(html: str) -> dict[str, str]:
    """Name -> value of every control of the rendered page that a browser would submit."""
    return shown_form(html).values


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
