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
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from plans.models import Handout, HandoutStatus, PlanVersion

logger = logging.getLogger(__name__)

# DOMAIN A, "When to seek help", on every handout (patient-facing wording of our own).
WHEN_TO_CALL = (
    "Your pain lasts more than 7 to 10 days despite rest.",
    "You have numbness, tingling or weakness in your legs.",
    "Your pain changes the way you walk or run.",
    "Pain wakes you at night.",
    "Seek emergency care at once for numbness around your bottom or genitals, new problems passing urine "
    "or controlling your bladder or bowels, or weakness that is getting worse in both legs.",
)


def queue(version: PlanVersion) -> Handout:
    """Create the handout row for a newly signed version and render it after commit."""
    handout, _ = Handout.objects.get_or_create(version=version)
    transaction.on_commit(lambda: _publish_render(handout.pk))
    return handout


def _publish_render(handout_id: int) -> None:
    """Queue the render; with the broker unreachable the row stays queued and ``sweep_handouts``
    queues it again, so signing or retrying never fails for want of a broker."""
    from plans.tasks import render_handout

    try:
        render_handout.delay(handout_id)
    except BrokerUnavailable:
        logger.warning("Broker unreachable: handout %s left queued for the sweep", handout_id)


def _illustration_uri(reference: str) -> str:
    kind, _, name = reference.partition(":")
    if kind == "static":
        found = finders.find(name)
        return Path(found).as_uri() if found else ""
    if kind == "media" and default_storage.exists(name):
        return Path(default_storage.path(name)).as_uri()
    return ""


def html(version: PlanVersion) -> str:
    plan = version.plan
    episode = plan.episode
    clinic = episode.patient.clinic
    body = version.body
    items = [
        {**item, "illustration_uri": _illustration_uri(item.get("illustration", ""))}
        for item in body["items"]
        if item["home_program"]
    ]
    first_day = timezone.localtime(version.signed_at, clinic.zone).date()
    return render_to_string(
        "pdf/home_program.html",
        {
            "clinic": clinic,
            "patient": episode.patient,
            "clinician": body["clinician"],
            "signed_on": first_day,
            "items": items,
            "running_advice": body["running_advice"],
            "when_to_call": WHEN_TO_CALL,
            "paper": "A4" if clinic.paper_size == "a4" else "letter",
            # One table a week for the plan's duration: a box per exercise per day.
            "log_weeks": [
                [first_day + datetime.timedelta(days=week * 7 + day) for day in range(7)]
                for week in range(body["weeks"])
            ],
        },
    )


def render(*, handout_id: int) -> bool:
    """Render the handout if it is not ready yet; False when there was nothing to do."""
    from weasyprint import HTML

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
        pdf = HTML(string=html(handout.version), base_url=str(Path(__file__).resolve().parent)).write_pdf()
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
    Handout.objects.filter(pk=handout.pk).update(
        status=HandoutStatus.READY, file=saved, error="", updated_at=timezone.now()
    )
    return True


def retry(handout: Handout) -> None:
    Handout.objects.filter(pk=handout.pk).update(status=HandoutStatus.QUEUED, error="")
    transaction.on_commit(lambda: _publish_render(handout.pk))
