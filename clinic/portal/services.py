"""Writes of the patient portal. The raw link token exists only in the URL handed back to
be sent to the patient; the database keeps its SHA-256."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit, thresholds
from clinic.models import Patient
from clinic.portal import adherence, selectors
from clinic.portal.models import HomeProgramCheckIn, PortalLink
from clinic.portal.tokens import LINKS
from plans.models import Handout, PlanVersion
from plans.signed import SignedPlan


def link_issue(*, patient: Patient) -> str:
    """A new portal link for the patient, valid for the clinic's ``portal_link_days``; returns
    the absolute URL to put in a message (never log or store it)."""
    return link_make(patient=patient)[1]


def link_make(*, patient: Patient, page: str = "portal_home", page_args: tuple = ()) -> tuple[PortalLink, str]:
    """``link_issue`` with the stored row, for a sender that deletes it if the message carrying
    the URL was refused. ``page`` (a portal route) and its ``page_args`` after the token choose
    the page the link opens: the portal's home unless a message asks about one thing."""
    days = thresholds.for_clinic(patient.clinic)["portal_link_days"]
    link_token, token_hash = LINKS.new()
    now = timezone.now()
    link = PortalLink.objects.create(
        patient=patient, token_hash=token_hash, expires_at=now + datetime.timedelta(days=float(days))
    )
    return link, settings.SITE_URL.rstrip("/") + reverse(page, args=[link_token, *page_args])


def link_opened(link: PortalLink) -> None:
    PortalLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now())


def portal_opened(*, link: PortalLink) -> None:
    """The patient opened their portal: noted on the link and in the audit trail."""
    link_opened(link)
    audit.record(actor=None, action=audit.Read.PORTAL_OPENED, obj=link)


def program_viewed(*, link: PortalLink, version: PlanVersion) -> None:
    audit.record(actor=None, action=audit.Read.PORTAL_PROGRAM_VIEWED, obj=version, patient=link.patient)


def handout_downloaded(*, link: PortalLink, handout: Handout) -> None:
    audit.record(actor=None, action=audit.Read.PORTAL_HANDOUT_DOWNLOADED, obj=handout, patient=link.patient)


def check_in_save(
    *,
    link: PortalLink,
    version: PlanVersion,
    day: datetime.date,
    done_items: list[int],
    pain: int | None,
    did_none: bool = False,
) -> HomeProgramCheckIn:
    """Save the patient's log of one day of a current home program (one row per day).

    The day must be in the check-in window of ``adherence.check_in_day_problem``, counted in
    the clinic's time zone; the items are indexes into the version's home program. A log
    with no item and no pain is stored only when the patient said they did none.
    """
    patient = link.patient
    if version.plan.episode.patient_id != patient.pk or selectors.current_version_id(version.plan_id) != version.pk:
        raise PermissionDenied
    signed = SignedPlan.of(version)
    zone = patient.clinic.zone
    problem = adherence.check_in_day_problem(
        day, signed.first_day(zone), signed.weeks, timezone.localdate(timezone.now(), zone)
    )
    if problem:
        raise ValidationError({"day": problem})
    answers = adherence.check_in_answers_problem(done_items, pain, did_none)
    if answers:
        raise ValidationError({answers[0]: answers[1]})
    item_count = len(signed.home_items)
    if any(index not in range(item_count) for index in done_items):
        raise ValidationError({"done_items": "Tick only exercises of this home program."})
    with transaction.atomic():
        check_in = HomeProgramCheckIn.objects.select_for_update().filter(version=version, day=day).first()
        created = check_in is None
        check_in = check_in or HomeProgramCheckIn(version=version, day=day)
        check_in.done_items, check_in.pain = sorted(set(done_items)), pain
        check_in.full_clean()
        check_in.save()
        audit.record(
            actor=None,
            action="portal.check_in_created" if created else "portal.check_in_updated",
            obj=check_in,
            patient=patient,
            changed_fields=["done_items", "pain"],
        )
    return check_in
