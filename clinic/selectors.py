"""Read queries of the clinic core, each scoped by ``permissions`` and shaped so a page's
query count does not grow with its rows."""

from __future__ import annotations

import datetime
import re

import phonenumbers
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from clinic import permissions
from clinic.models import EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentStatus

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


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def appointments_on(*, user: User, day: datetime.date, clinician: User | None = None) -> QuerySet[Appointment]:
    """The clinic's visits on one local day (one clinician's if given), cancelled ones left out."""
    start, end = _day_bounds(day)
    visits = (
        Appointment.objects.filter(
            episode__in=permissions.scoped_episodes(user), starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("episode__patient", "clinician")
    )
    if clinician is not None:
        visits = visits.filter(clinician=clinician)
    return visits


def still_to_come(visits: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Of these visits, the ones not over yet or whose patient is still checked in, soonest first."""
    return visits.filter(Q(ends_at__gt=timezone.now()) | Q(status=AppointmentStatus.CHECKED_IN)).order_by(
        "starts_at", "id"
    )


def episodes_without_next_visit(*, user: User, lead_clinician: User | None = None) -> QuerySet[EpisodeOfCare]:
    """Open episodes with no upcoming visit booked: the patients who could drop out of care."""
    upcoming = Appointment.objects.filter(
        episode=OuterRef("pk"), starts_at__gte=timezone.now(), status=AppointmentStatus.BOOKED
    )
    episodes = (
        permissions.scoped_episodes(user)
        .filter(status=EpisodeStatus.OPEN)
        .exclude(Exists(upcoming))
        .select_related("patient", "lead_clinician")
        .order_by("opened_on", "id")
    )
    if lead_clinician is not None:
        episodes = episodes.filter(lead_clinician=lead_clinician)
    return episodes


def staff_list(*, user: User) -> QuerySet[User]:
    return (
        permissions.scoped_staff(user)
        .prefetch_related("groups")
        .select_related("clinician_profile")
        .order_by("-is_active", "full_name")
    )
