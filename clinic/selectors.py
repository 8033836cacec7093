"""Read queries of the clinic core, each scoped by ``permissions`` and shaped so a page's
query count does not grow with its rows."""

from __future__ import annotations

import datetime
import re

import phonenumbers
from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from clinic import permissions
from clinic.models import EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.permissions import Role

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")


def _as_date(text: str) -> datetime.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _as_phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 7:
        return None
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def patient_search(*, user: User, query: str = "") -> QuerySet[Patient]:
    """Patients of the user's clinic matching a name, a date of birth or a phone number.

    A date matches the date of birth exactly, a phone number the mobile number exactly
    (both normalised), anything else every word against the start of first or last name.

    Shaped for clinics with 100,000 patients (bench/data_growth.py): the open-episode count is
    a subquery, so the count for the paginator and the page itself read only the page's rows
    and no GROUP BY over the clinic. A name search orders by the lower-cased name: no index
    gives that order, so PostgreSQL finds the matches through the name-prefix indexes
    (migration clinic/0006) and sorts them, instead of walking the whole clinic in name order
    until enough rows match (for "Ga" that read 26,000 rows, 50 ms; later letters read more).
    """
    open_episodes = (
        EpisodeOfCare.objects.filter(patient=OuterRef("pk"), status=EpisodeStatus.OPEN)
        .order_by()
        .values("patient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    patients = (
        permissions.scoped_patients(user)
        .annotate(open_episodes=Coalesce(Subquery(open_episodes), 0))
        .order_by("last_name", "first_name", "id")
    )
    query = query.strip()
    if not query:
        return patients
    if born := _as_date(query):
        return patients.filter(date_of_birth=born)
    if phone := _as_phone(query):
        return patients.filter(mobile_phone=phone)
    for word in query.split():
        patients = patients.filter(Q(first_name__istartswith=word) | Q(last_name__istartswith=word))
    return patients.order_by(Lower("last_name"), Lower("first_name"), "id")


def patient_episodes(*, patient: Patient) -> QuerySet[EpisodeOfCare]:
    return patient.episodes.select_related("lead_clinician")


def clinicians_of(*, user: User) -> QuerySet[User]:
    """The active clinicians of the user's clinic."""
    return (
        permissions.scoped(user, User).filter(is_active=True, groups__name=Role.CLINICIAN.value).order_by("full_name")
    )


def staff_list(*, user: User) -> QuerySet[User]:
    return (
        permissions.scoped_staff(user)
        .prefetch_related("groups")
        .select_related("clinician_profile")
        .order_by("-is_active", "full_name")
    )
