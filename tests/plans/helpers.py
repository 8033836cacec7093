"""Shared helpers of the plan page, signing, library and API tests: a completed assessment and a
drafted plan through the test client, the forms the plan page posts, and reading pages back."""

from __future__ import annotations

import re
from html import unescape

from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Assessment
from clinic.models import AuditEvent, EpisodeOfCare, User
from intake.models import RedFlag
from plans.models import PlanItem, PlanVersion, TreatmentPlan
from tests.assessments.helpers import page_messages, record
from tests.factories import PlanFactory

# Changes to tests.factories.EXAM_VALUES: without the positive straight-leg raise there is no neural
# tension, so nothing contraindicates the side-lying lumbopelvic (SI) thrust its SI joint pain pattern selects.
NO_NEURAL_TENSION: dict[str, object] = {
    "slr_right_result": "negative",
    "slr_right_angle": None,
    "slr_right_leg_symptoms": False,
}


# --- Building ---------------------------------------------------------------------------------------


def completed(client, episode: EpisodeOfCare, changes: dict | None = None) -> Assessment:
    """A completed initial evaluation, recorded through the assessment screen."""
    return record(client, episode, changes=changes)


def draft(client, assessment: Assessment, **extra):
    """POST the assessment's "draft a plan" button; returns the response."""
    return client.post(f"/assessments/{assessment.pk}/plan/", **extra)


def drafted(client, assessment: Assessment) -> TreatmentPlan:
    """Draft a plan through the page and return it (the newest plan of the assessment)."""
    response = draft(client, assessment)
    plan = TreatmentPlan.objects.filter(assessment=assessment).order_by("-id").first()
    assert plan is not None, page_messages(client.get(f"/assessments/{assessment.pk}/").content.decode())
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    return plan


def red_flag(episode: EpisodeOfCare, *, code: str, tier: str, label: str) -> RedFlag:
    return RedFlag.objects.create(episode=episode, code=code, tier=tier, label=label, raised_at=timezone.now())


def foreign_plan(foreign_episode: EpisodeOfCare) -> TreatmentPlan:
    """A drafted plan of another clinic, made by that clinic's own clinician."""
    return PlanFactory(assessment__episode=foreign_episode)


def sign(client, plan: TreatmentPlan, **extra):
    return client.post(f"/plans/{plan.pk}/sign/", **extra)


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Reading the stored plan ------------------------------------------------------------------------


def item_of(plan: TreatmentPlan, key: str) -> PlanItem:
    return plan.items.get(intervention__key=key)


def item_keys(plan: TreatmentPlan) -> set[str]:
    return set(plan.items.values_list("intervention__key", flat=True))


def plan_keys_by_prong(plan: TreatmentPlan) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for item in plan.items.select_related("intervention").order_by("prong", "order", "id"):
        keys.setdefault(item.prong, []).append(item.intervention.key)
    return keys


def excluded_keys(plan: TreatmentPlan) -> set[str]:
    return {entry["intervention"] for entry in plan.excluded}


def audit_rows(action: str, obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=obj.pk))


def version(plan: TreatmentPlan, number: int) -> PlanVersion:
    return PlanVersion.objects.get(plan=plan, number=number)


# --- What the plan page posts -----------------------------------------------------------------------


def item_data(item: PlanItem, **changes) -> dict[str, str]:
    """The item's "Edit dosage and instructions" form as the browser sends it, with ``changes``."""
    values = {
        "sets": "" if item.sets is None else str(item.sets),
        "reps": item.reps,
        "hold_seconds": item.hold_seconds,
        "frequency": item.frequency,
        "side": item.side,
        "instructions": item.instructions,
        **changes,
    }
    return {f"item{item.pk}-{name}": value for name, value in values.items()}


# --- Reading a rendered page back -------------------------------------------------------------------


def text_of(html: str) -> str:
    """The page's text: inline tags dropped, other tags read as spaces, entities decoded, whitespace collapsed."""
    inline = re.sub(r"</?(?:strong|em|span|a|b|i|del|ins|small|abbr)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", inline))).strip()


def section(html: str, labelled_by: str) -> str:
    match = re.search(rf'<section aria-labelledby="{re.escape(labelled_by)}">.*?</section>', html, re.S)
    assert match, f"no section labelled by {labelled_by!r}"
    return match.group(0)


def add_form_errors(html: str) -> dict[str, str]:
    """The errors the "Add from the library" form shows beside its fields: field id -> text."""
    return {
        field: text_of(text)
        for field, text in re.findall(
            r'<p class="field-error" id="id_(\w+)_errors">(.*?)</p>', section(html, "add-h"), re.S
        )
    }


def article(html: str, item: PlanItem) -> str:
    """One item's block on the plan page."""
    match = re.search(rf'<article class="plan-item" aria-labelledby="item-{item.pk}">.*?</article>', html, re.S)
    assert match, f"no article for {item.name}"
    return match.group(0)


def notice(html: str) -> str:
    match = re.search(r'<div class="notice" role="status">(.*?)</div>', html, re.S)
    return text_of(match.group(1)) if match else ""


def episode_plan_panel(client, episode: EpisodeOfCare) -> str:
    response = client.get(f"/episodes/{episode.pk}/")
    assert response.status_code == 200
    return section(response.content.decode(), "plans-heading")
