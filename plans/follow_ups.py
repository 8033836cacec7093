"""The reminders a signed plan owes the patient, through the outbox: a home-program check-in a
few days after signing and, before the plan ends, word that a re-assessment is due (each a
clinic setting; zero turns it off). A newer signed version supersedes them. What each says is
composed beside what it needs: the check-in in the portal, the re-assessment in scheduling.
"""

from __future__ import annotations

from django.utils import timezone

from clinic import thresholds
from clinic.outbox import reminders, services
from clinic.outbox.dispatch import NotOwed
from clinic.outbox.models import PLAN_REMINDERS, MessageKind, MessageStatus, PatientMessage
from plans.models import PlanVersion
from plans.signed import SignedPlan

PLAN_GONE = "The plan version no longer exists."


def plan_signed(version: PlanVersion) -> None:
    """Inside the signing transaction: owe this version's reminders, cancel the earlier ones'."""
    plan = version.plan
    earlier = plan.versions.exclude(pk=version.pk).values("pk")
    services.cancel_all(kinds=PLAN_REMINDERS, subject_ids=earlier, reason="A newer plan version was signed.")
    clinic = plan.episode.patient.clinic
    limits = thresholds.for_clinic(clinic)
    wanted = {}
    if limits["check_in_days"] > 0:
        wanted[MessageKind.CHECK_IN] = reminders.outside_quiet_hours(
            clinic, version.signed_at + reminders.days(limits["check_in_days"])
        )
    if limits["reassessment_notice_days"] > 0:
        ends = SignedPlan.of(version).ends_at
        wanted[MessageKind.REASSESSMENT] = reminders.outside_quiet_hours(
            clinic, ends - reminders.days(limits["reassessment_notice_days"]), ends
        )
    now = timezone.now()
    for kind, due_at in wanted.items():
        if due_at > now:
            services.enqueue(kind=kind, episode=plan.episode, subject_id=version.pk, due_at=due_at)


def version_of(message: PatientMessage) -> PlanVersion | None:
    """The signed version a plan reminder is about."""
    return PlanVersion.objects.select_related("plan").filter(pk=message.subject_id).first()


def version_still_wanted(message: PatientMessage) -> PlanVersion | NotOwed:
    """The version a plan reminder is about, or why the reminder is no longer wanted."""
    version = version_of(message)
    if version is None:
        return NotOwed(MessageStatus.CANCELLED, PLAN_GONE)
    return reminders.episode_closed(message) or version


def values_of(version: PlanVersion) -> dict[str, str]:
    """The placeholders of a plan reminder's wording, on the clinic's calendar."""
    ends = timezone.localtime(SignedPlan.of(version).ends_at, version.plan.episode.patient.clinic.zone)
    return {"plan_end_day": f"{ends.day} {ends:%B}"}
