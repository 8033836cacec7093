"""Home-program handouts: a signed version rendered to PDF with WeasyPrint.

The Handout row is the record of what is still to do; the Celery task only carries the id.
Rendering is idempotent: a ready handout is never rendered again, and the file name is
fixed per version, so the same version always gives the same file.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clinic import audit, permissions, queueing
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from intake import rules as intake_rules
from plans.library import Prong
from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanVersion
from plans.signed import SignedPlan

logger = logging.getLogger(__name__)

# DOMAIN A, "When to seek help", on every handout (patient-facing wording of our own). Its last
# item, "any emergency sign", is the list the red-flag catalogue gives (EMERGENCY_SIGNS).
WHEN_TO_CALL = (
    "Your pain lasts more than 7 to 10 days despite rest.",
    "You have numbness, tingling or weakness in your legs.",
    "Your pain changes the way you walk or run.",
    "Pain wakes you at night.",
)
EMERGENCY_SIGNS = tuple(intake_rules.emergency_warning_signs())


# DOMAIN A, load management: "about 10 % a week" only as conservative guidance, never a rule.
LOAD_GUIDANCE = (
    "When you build your running back up, do it gradually. About 10 % more a week is a cautious guide, "
    "not a rule: your clinician will tell you what suits you."
)


def queue(version: PlanVersion) -> Handout:
    """Create the handout row for a newly signed version and render it after commit."""
    handout, _ = Handout.objects.get_or_create(version=version)
    from plans.tasks import render_handout

    queueing.after_commit(render_handout, handout.pk)
    return handout


def _illustration_uri(reference: str) -> str:
    kind, _, name = reference.partition(":")
    if kind == "static":
        found = finders.find(name)
        return Path(found).as_uri() if found else ""
    if kind == "media" and default_storage.exists(name):
        return Path(default_storage.path(name)).as_uri()
    return ""


def title(version: PlanVersion) -> str:
    """The handout's title: the PDF's document title, which a screen reader announces first."""
    return f"Home program – {version.plan.episode.patient.full_name}"


def html(version: PlanVersion) -> str:
    plan = version.plan
    episode = plan.episode
    clinic = episode.patient.clinic
    signed = SignedPlan.of(version)
    items = [(item, _illustration_uri(item.illustration)) for item in signed.home_items]
    first_day = signed.first_day(clinic.zone)
    exercises = [(item, uri) for item, uri in items if item.prong == Prong.EXERCISE]
    self_care = [(item, uri) for item, uri in items if item.prong != Prong.EXERCISE]
    logo_uri = (
        Path(default_storage.path(clinic.logo.name)).as_uri()
        if clinic.logo and default_storage.exists(clinic.logo.name)
        else ""
    )
    return render_to_string(
        "pdf/home_program.html",
        {
            "title": title(version),
            "clinic": clinic,
            "patient": episode.patient,
            "clinician": signed.clinician,
            "signed_on": first_day,
            "items": signed.home_items,
            "item_groups": [
                (heading, group)
                for heading, group in (("Your exercises", exercises), ("Self-care", self_care))
                if group
            ],
            "logo_uri": logo_uri,
            "running_advice": signed.running_advice,
            "return_to_run": signed.return_to_run,
            "load_guidance": LOAD_GUIDANCE,
            "when_to_call": WHEN_TO_CALL,
            "emergency_signs": EMERGENCY_SIGNS,
            "paper": "A4" if clinic.paper_size == "a4" else "letter",
            # One grid for the whole plan, a row a week and a box a day: ticked on the days the
            # exercises were done, with the pain written beside the tick. A box per exercise per
            # day (six weekly tables) took most of the render and two pages for the same ticks.
            "log_days": [first_day + datetime.timedelta(days=day) for day in range(7)],
            "log_weeks": [
                (
                    week + 1,
                    first_day + datetime.timedelta(days=week * 7),
                    first_day + datetime.timedelta(days=week * 7 + 6),
                )
                for week in range(signed.weeks)
            ],
        },
    )


def render(*, handout_id: int) -> bool:
    """Render the handout if it is not ready yet; False when there was nothing to do."""
    # WeasyPrint loads its system libraries (Pango) on import: only a render needs them.
    from clinic import pdf as pdf_rendering

    with transaction.atomic():
        handout = (
            Handout.objects.select_for_update()
            .select_related("version__plan__episode__patient__clinic")
            .get(pk=handout_id)
        )
        if handout.status == HandoutStatus.READY and handout.file:
            return False
        handout.status = HandoutStatus.RENDERING
        handout.attempts += 1
        handout.save(update_fields=["status", "attempts", "updated_at"])
    try:
        pdf = pdf_rendering.render(html(handout.version))
    except Exception as error:
        logger.exception("Handout %s failed to render", handout.pk)
        Handout.objects.filter(pk=handout.pk).update(
            status=HandoutStatus.FAILED, error=type(error).__name__[:300], updated_at=timezone.now()
        )
        return False
    version = handout.version
    name = f"handouts/plan-{version.plan_id}-v{version.number}.pdf"
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(pdf))
    with transaction.atomic():
        handout = Handout.objects.select_for_update().get(pk=handout.pk)
        first_ready = handout.status != HandoutStatus.READY
        handout.status, handout.file, handout.error = HandoutStatus.READY, saved, ""
        # A retried render must not tell the patient twice.
        owed = handout.delivery == HandoutDelivery.WAITING
        if owed:
            handout.delivery = HandoutDelivery.OWED
        handout.save(update_fields=["status", "file", "error", "delivery", "updated_at"])
        if first_ready:
            webhooks.emit(
                EventType.HANDOUT_READY,
                clinic_id=version.plan.episode.patient.clinic_id,
                data={
                    "episode": version.plan.episode_id,
                    "plan": version.plan_id,
                    "version": version.number,
                    "handout": handout.pk,
                },
            )
        if owed:
            outbox.enqueue(kind=MessageKind.HANDOUT_READY, episode=version.plan.episode, subject_id=handout.pk)
    return True


def retry(*, actor, handout: Handout) -> None:
    """A clinician asks for a handout whose render failed to be made again."""
    if not permissions.can_change_clinical(actor, handout.patient):
        raise PermissionDenied
    with transaction.atomic():
        updated = Handout.objects.filter(pk=handout.pk, status=HandoutStatus.FAILED).update(
            status=HandoutStatus.QUEUED, error="", updated_at=timezone.now()
        )
        if not updated:
            return
        audit.record(actor=actor, action="handout.retry_requested", obj=handout)
    from plans.tasks import render_handout

    queueing.after_commit(render_handout, handout.pk)


def send_again(*, actor, handout: Handout) -> None:
    """A clinician asks for a message that was not sent (no consent then, a refused address)
    to be sent now, for example after the front desk fixed the patient's details."""
    if not permissions.can_change_clinical(actor, handout.patient):
        raise PermissionDenied
    with transaction.atomic():
        updated = Handout.objects.filter(
            pk=handout.pk, status=HandoutStatus.READY, delivery__in=[HandoutDelivery.NOT_SENT, HandoutDelivery.FAILED]
        ).update(delivery=HandoutDelivery.OWED, delivery_error="", updated_at=timezone.now())
        if not updated:
            return
        audit.record(actor=actor, action="handout.send_requested", obj=handout)
        outbox.enqueue(kind=MessageKind.HANDOUT_READY, episode=handout.version.plan.episode, subject_id=handout.pk)
