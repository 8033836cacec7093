"""Writes of the patient portal. The raw link token exists only in the URL handed back to
be sent to the patient; the database keeps its SHA-256."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clinic import thresholds
from clinic.models import Patient
from clinic.portal.models import PortalLink
from clinic.signed_links import SignedLinks

LINKS = SignedLinks("portal.link")


def link_issue(*, patient: Patient) -> str:
    """A new portal link for the patient, valid for the clinic's ``portal_link_days``; returns
    the absolute URL to put in a message (never log or store it)."""
    days = thresholds.for_clinic(patient.clinic)["portal_link_days"]
    link_token, token_hash = LINKS.new()
    now = timezone.now()
    PortalLink.objects.create(
        patient=patient, token_hash=token_hash, expires_at=now + datetime.timedelta(days=float(days))
    )
    return settings.SITE_URL.rstrip("/") + reverse("portal_home", args=[link_token])


def link_opened(link: PortalLink) -> None:
    PortalLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now())
