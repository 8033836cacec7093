"""Shared helpers of the assessment page and API tests: valid form data for a full exam,
starting / saving / completing through the test client, and reading a rendered page back."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from html import unescape
from html.parser import HTMLParser

from django.forms.models import model_to_dict
from django.utils import timezone

from assessments.findings import SPECIAL_TESTS
from assessments.models import Assessment
from clinic.models import User
from tests.factories import UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"


def days_ago(days: int) -> datetime.date:
    # Two days of margin keep the date in the past in every clinic time zone.
    return timezone.localdate() - datetime.timedelta(days=days)


BASELINE_DAY = days_ago(42)
REASSESSMENT_DAY = days_ago(7)

# A full exam, as the browser posts it (unticked checkboxes are simply absent). What completing it
# derives, among others: Thomas iliopsoas left -> hip_flexor_tightness left; SLR right positive with leg
# symptoms -> neural_tension_positive right; hurdle step 2/1 -> fms_asymmetry_hurdle_step; true 90.0/88.8
# and apparent 95.0/93.9 cm -> leg_length_discrepancy right short, structural; two running-form faults.
EXAM: dict[str, str] = {
    "assessed_on": BASELINE_DAY.isoformat(),
    "rom_device": "goniometer",
    "rom_mode": "passive",
    "pain_today": "6",
    # Hip ROM, degrees (flexion left is 10° under the AAOS norm of 120°, beyond the 5° margin).
    "rom_flexion_left": "110",
    "rom_flexion_right": "118",
    "rom_flexion_left_pain": "on",
    "rom_extension_left": "12",
    "rom_extension_right": "-4",
    "rom_abduction_left": "40",
    "rom_abduction_right": "42",
    "rom_adduction_left": "25",
    "rom_adduction_right": "26",
    "rom_internal_rotation_left": "35",
    "rom_internal_rotation_right": "38",
    "rom_internal_rotation_right_pain": "on",
    "rom_external_rotation_left": "40",
    "rom_external_rotation_right": "41",
    # FMS raw scores; composite 2+1+2+3+2+2+2 = 14.
    "fms_deep_squat": "2",
    "fms_hurdle_step_left": "2",
    "fms_hurdle_step_right": "1",
    "fms_inline_lunge_left": "2",
    "fms_inline_lunge_right": "2",
    "fms_shoulder_mobility_left": "3",
    "fms_shoulder_mobility_right": "3",
    "fms_active_straight_leg_raise_left": "2",
    "fms_active_straight_leg_raise_right": "2",
    "fms_trunk_stability_pushup": "2",
    "fms_rotary_stability_left": "2",
    "fms_rotary_stability_right": "2",
    # Leg length, cm with mm precision.
    "true_left_cm": "90.0",
    "true_right_cm": "88.8",
    "apparent_left_cm": "95.0",
    "apparent_right_cm": "93.9",
    # Special tests: every result posted (the selects always send one), details where positive.
    **{f"{test}_{side}_result": "not_tested" for test, _ in SPECIAL_TESTS for side in ("left", "right")},
    "thomas_left_result": "positive",
    "thomas_left_structure": "iliopsoas",
    "thomas_right_result": "negative",
    "slr_left_result": "negative",
    "slr_right_result": "positive",
    "slr_right_angle": "45",
    "slr_right_leg_symptoms": "on",
    "faber_left_result": "positive",
    "faber_left_location": "posterior",
    # Running form.
    "overstriding": "on",
    "hip_drop": "on",
    "cadence": "162",
    "form_notes": "Heel strikes well ahead of the body; trunk upright.",
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
