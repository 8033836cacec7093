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

from clinic import audit, messaging, permissions, queueing
from clinic.models import ContactChannel
from clinic.portal import services as portal
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanVersion

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
    exercises = [item for item in items if item["prong"] == "exercise"]
    self_care = [item for item in items if item["prong"] != "exercise"]
    logo_uri = (
        Path(default_storage.path(clinic.logo.name)).as_uri()
        if clinic.logo and default_storage.exists(clinic.logo.name)
        else ""
    )
    return render_to_string(
        "pdf/home_program.html",
        {
            "clinic": clinic,
            "patient": episode.patient,
            "clinician": body["clinician"],
            "signed_on": first_day,
            "items": items,
            "item_groups": [
                (heading, group)
                for heading, group in (("Your exercises", exercises), ("Self-care", self_care))
                if group
            ],
            "logo_uri": logo_uri,
            "running_advice": body["running_advice"],
            "load_guidance": LOAD_GUIDANCE,
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
            from plans.tasks import deliver_handout

            queueing.after_commit(deliver_handout, handout.pk)
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


def _message(handout: Handout, link: str) -> tuple[str, str]:
    version = handout.version
    clinic = version.plan.episode.patient.clinic
    what = "updated home program" if version.number > 1 else "home program"
    body = (
        f"{clinic.name}: your {what} from {version.body['clinician']['name']} is ready. "
        f"Open it, download the PDF and log your exercises here: {link}\n"
        "This link is just for you; please do not share it."
    )
    if clinic.phone:
        body += f" Questions? Call {clinic.phone.as_national}."
    return f"{clinic.name}: your {what}", body


def deliver(*, handout_id: int) -> bool:
    """Tell the patient, once, that their home program is ready; False when nothing was owed.

    The message goes by the patient's channel and only with their consent, carrying a fresh
    portal link; an e-mail also carries the PDF when the clinic chose that. The row lock and
    the ``delivery`` state make a repeated or late task message a no-op. A transient failure
    propagates (the task retries, the row stays owed for the sweep); a permanent one is
    recorded on the row.
    """
    with transaction.atomic():
        handout = (
            Handout.objects.select_for_update()
            .select_related("version__plan__episode__patient__clinic")
            .filter(pk=handout_id)
            .first()
        )
        if handout is None or handout.delivery != HandoutDelivery.OWED:
            return False
        patient = handout.patient
        if not patient.contact_consent:
            _delivery_ended(handout, HandoutDelivery.NOT_SENT, "The patient has not agreed to messages.")
            return False
        channel = patient.preferred_contact_channel
        attachments = []
        if channel == ContactChannel.EMAIL and patient.clinic.email_handout_attachment:
            with handout.file.open("rb") as pdf:
                attachments.append((f"home-program-v{handout.version.number}.pdf", pdf.read(), "application/pdf"))
        try:
            # The link is kept only if the message that carries it went out.
            with transaction.atomic():
                subject, body = _message(handout, portal.link_issue(patient=patient))
                messaging.send_to_patient(
                    patient=patient, subject=subject, body=body, channel=channel, attachments=attachments
                )
        except messaging.PermanentDeliveryError as error:
            _delivery_ended(handout, HandoutDelivery.FAILED, str(error))
            return False
        handout.delivery, handout.delivered_at, handout.delivery_channel = HandoutDelivery.SENT, timezone.now(), channel
        handout.delivery_error = ""
        handout.save(update_fields=["delivery", "delivered_at", "delivery_channel", "delivery_error", "updated_at"])
        audit.record(actor=None, action="handout.sent", obj=handout)
    return True


def _delivery_ended(handout: Handout, delivery: HandoutDelivery, reason: str) -> None:
    handout.delivery, handout.delivery_error = delivery, reason[:200]
    handout.save(update_fields=["delivery", "delivery_error", "updated_at"])
    audit.record(actor=None, action=f"handout.{delivery}", obj=handout)


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
    from plans.tasks import deliver_handout

    queueing.after_commit(deliver_handout, handout.pk)


def owed_deliveries() -> list[int]:
    """Handouts whose message is owed but whose task message seems lost."""
    stale = timezone.now() - datetime.timedelta(minutes=10)
    return list(
        Handout.objects.filter(delivery=HandoutDelivery.OWED, updated_at__lt=stale).values_list("pk", flat=True)
    )
