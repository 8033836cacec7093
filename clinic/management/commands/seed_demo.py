"""``manage.py seed_demo``: a demo clinic full of synthetic people, for trying the app out.

Everyone this command creates is invented. Patient names are drawn with a fixed seed from
short built-in lists, e-mail addresses use reserved domains (example.com, demo.test) and
phone numbers the 555-01xx range set aside for fiction. None of it is PHI, which is why
the rows are written straight through the ORM: the services need a signed-in actor and
would fill the audit trail with events nobody performed.

Running the command again resets the demo instead of adding to it. The clinic, staff,
patients and episodes are found by stable keys and put back to their seeded values; the
appointments of the seeded episodes are deleted and rebuilt around the current date, so
the dashboards always have visits "today" in the clinic's time zone.

The clinical records (intakes, assessments, plans, notes, the runner's return to run, the
discharges) go through the apps' own services, in each app's ``demo`` module. The patients of
``ENDED_CARE`` are made once and then kept as they are: their discharges and follow-up are
dated by their visits, which lie weeks or months back.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import cycle
from typing import Any, NamedTuple

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from assessments.demo import seed_assessments
from assessments.models import AssessmentKind
from clinic.messaging import TransientDeliveryError
from clinic.models import Clinic, ClinicianProfile, ContactChannel, EpisodeOfCare, EpisodeStatus, Patient, Sex, User
from clinic.outbox import dispatch
from clinic.outbox.models import UNSENT, MessageKind, PatientMessage
from clinic.permissions import Role
from clinic.scheduling import last_attended
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from clinic.scheduling.services import appointment_types_seed
from clinic.services import sync_role_groups
from clinic.two_factor import demo as two_factor_demo
from clinic.two_factor import services as two_factor_services
from intake.demo import seed_intakes
from notes import demo as notes_demo
from plans import handouts
from plans.demo import seed_plans
from plans.models import Handout, HandoutStatus
from running import demo as running_demo

# Published on purpose (README, command output): these logins exist only in the demo clinic.
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105


FRONT_DESK_EMAIL = "frontdesk@demo.test"


class DemoLogin(NamedTuple):
    email: str
    full_name: str
    role: Role
    credentials: str = ""


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("clinician@demo.test", "Jamie Rivera", Role.CLINICIAN, "DC, CCSP"),
    DemoLogin("clinician2@demo.test", "Sam Okafor", Role.CLINICIAN, "PT, DPT"),
    DemoLogin(FRONT_DESK_EMAIL, "Taylor Brooks", Role.FRONT_DESK),
    DemoLogin("admin@demo.test", "Morgan Ellis", Role.CLINIC_ADMIN),
)

DEMO_CLINIC: dict[str, object] = {
    "name": "Stride Sports Chiropractic & Physio",
    "address": "100 Demo Street, Suite 5\nChicago, IL 60601",
    "phone": "+13125550100",
    "email": "hello@example.com",
    "time_zone": "America/Chicago",
    # No quiet hours (equal times): whoever tries the demo, at whatever hour in Chicago, sees a reminder
    # go out once it is due. A real clinic keeps the default overnight window.
    "quiet_hours_start": datetime.time(0, 0),
    "quiet_hours_end": datetime.time(0, 0),
}

# Two generators: who the patients are must not depend on the calendar or on how the
# schedule is drawn, or a re-run on another day would miss the patients it made before.
PEOPLE_SEED = 2026
SCHEDULE_SEED = 5550100


class Stage(StrEnum):
    REGISTERED = "registered"  # booked in by the front desk, not yet seen
    NEW_TODAY = "new today"  # first visit is today
    IN_CARE = "in care"  # open episode with the next visit booked
    LAPSING = "lapsing"  # open episode, nothing booked: the dashboards' "needs attention" list
    RETURNING = "returning"  # discharged once, back with a new complaint
    DISCHARGED = "discharged"  # care finished, nothing open


STAGE_COUNTS: dict[Stage, int] = {
    Stage.REGISTERED: 3,
    Stage.NEW_TODAY: 2,
    Stage.IN_CARE: 10,
    Stage.LAPSING: 3,
    Stage.RETURNING: 4,
    Stage.DISCHARGED: 3,
}
PATIENT_COUNT = sum(STAGE_COUNTS.values())

COMPLAINTS = (
    "Right lateral hip pain when running",
    "Left lateral hip pain on the camber",
    "Low back pain after long runs",
    "Left buttock pain radiating down the leg",
    "Groin pain on hill running",
    "Deep right buttock pain when sitting after runs",
    "Front of hip pain when lifting the knee",
    "Low back stiffness after speed sessions",
    "Right sacroiliac pain during marathon training",
    "High hamstring pain on uphill running",
)

FIRST_NAMES = {
    Sex.FEMALE: (
        "Avery", "Maya", "Priya", "Sofia", "Hannah", "Grace", "Lena", "Nora", "Chloe", "Imani", "Zoe", "Ruth",
    ),
    Sex.MALE: (
        "Marcus", "Diego", "Ethan", "Noah", "Samuel", "Omar", "Lucas", "Theo", "Caleb", "Jonah", "Felix", "Ravi",
    ),
    Sex.OTHER: ("Jordan", "Riley", "Rowan"),
    Sex.UNKNOWN: ("Casey", "Quinn", "Sasha"),
}  # fmt: skip
# More than 25, sampled without replacement: last names are what keep e-mail addresses apart.
LAST_NAMES = (
    "Alvarez", "Brennan", "Castellano", "Dubois", "Eriksen", "Fontaine", "Gallagher", "Hoffman", "Ibarra", "Jensen",
    "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Oyelaran", "Petrov", "Quinlan", "Rasmussen", "Sandoval",
    "Takahashi", "Underwood", "Varga", "Whitfield", "Yilmaz", "Zeller", "Achterberg", "Bellamy", "Delacroix",
)  # fmt: skip

OPENS = datetime.time(8, 0)
CLOSES = datetime.time(17, 0)
INITIAL_VISIT = datetime.timedelta(minutes=45)
FOLLOW_UP = datetime.timedelta(minutes=30)
ONE_DAY = datetime.timedelta(days=1)
ONE_WEEK = datetime.timedelta(weeks=1)
# Business days from today to the next booked visit, taken in turn per clinician; the
# zeros give each clinician several visits today.
NEXT_VISIT_DAYS = (0, 0, 2, 0, 5, 1, 0, 9)


# --- Who: deterministic synthetic people ---------------------------------------------------


@dataclass(frozen=True)
class PatientSpec:
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    sex: Sex
    email: str
    mobile_phone: str
    preferred_contact_channel: ContactChannel
    contact_consent: bool
    stage: Stage
    complaints: tuple[str, str]

    def fields(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth,
            "sex": self.sex,
            "mobile_phone": self.mobile_phone,
            "preferred_contact_channel": self.preferred_contact_channel,
            "contact_consent": self.contact_consent,
        }


def patient_specs() -> list[PatientSpec]:
    """The same 25 synthetic patients on every run."""
    rng = random.Random(PEOPLE_SEED)
    stages = [stage for stage, count in STAGE_COUNTS.items() for _ in range(count)]
    rng.shuffle(stages)
    last_names = rng.sample(LAST_NAMES, PATIENT_COUNT)
    # Each list shuffled and taken in turn, so first names repeat only once a list runs out.
    first_names = {sex: cycle(rng.sample(names, len(names))) for sex, names in FIRST_NAMES.items()}
    born_from, born_to = datetime.date(1960, 1, 1), datetime.date(2006, 12, 31)
    specs = []
    for index, (stage, last_name) in enumerate(zip(stages, last_names, strict=True)):
        sex = rng.choices(list(FIRST_NAMES), weights=(12, 10, 1, 1))[0]
        first_name = next(first_names[sex])
        # Every fifth patient gave no mobile number, so e-mail is their only channel.
        phone = "" if index % 5 == 4 else f"+1312555{110 + index:04d}"
        channel = rng.choice((ContactChannel.EMAIL, ContactChannel.SMS)) if phone else ContactChannel.EMAIL
        specs.append(
            PatientSpec(
                first_name=first_name,
                last_name=last_name,
                date_of_birth=born_from + datetime.timedelta(days=rng.randrange((born_to - born_from).days + 1)),
                sex=sex,
                email=f"{first_name}.{last_name}@example.com".lower(),
                mobile_phone=phone,
                preferred_contact_channel=channel,
                contact_consent=rng.random() < 0.85,
                stage=stage,
                complaints=tuple(rng.sample(COMPLAINTS, 2)),
            )
        )
    return specs


# --- When: episodes and visits relative to today -------------------------------------------


def _weekday_on_or_before(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day -= ONE_DAY
    return day


def _weekday_on_or_after(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += ONE_DAY
    return day


def _business_days_after(day: datetime.date, count: int) -> datetime.date:
    for _ in range(count):
        day = _weekday_on_or_after(day + ONE_DAY)
    return day


def _weekly(first: datetime.date, before: datetime.date) -> list[datetime.date]:
    days = []
    while first < before:
        days.append(first)
        first += ONE_WEEK
    return days


@dataclass
class EpisodePlan:
    complaint: str
    opened_on: datetime.date
    closed_on: datetime.date | None = None
    # Visit days in order; the first is the 45-minute initial visit.
    visits: list[datetime.date] = field(default_factory=list)
    # Whether a next visit gets booked; the day depends on the lead clinician's diary.
    books_next: bool = False
    missed_last: bool = False


def _discharged(complaint: str, today: datetime.date, rng: random.Random, days_ago: tuple[int, int]) -> EpisodePlan:
    opened_on = _weekday_on_or_before(today - datetime.timedelta(days=rng.randint(*days_ago)))
    visits = [opened_on + ONE_WEEK * week for week in range(rng.randint(3, 7))]
    return EpisodePlan(complaint, opened_on, closed_on=visits[-1], visits=visits)


def _in_care(complaint: str, today: datetime.date, rng: random.Random, weeks: tuple[int, int]) -> EpisodePlan:
    days_ago = ONE_WEEK * rng.randint(*weeks) + ONE_DAY * rng.randint(0, 3)
    opened_on = _weekday_on_or_before(today - days_ago)
    return EpisodePlan(complaint, opened_on, visits=_weekly(opened_on, today), books_next=True)


def plan_episodes(spec: PatientSpec, today: datetime.date, rng: random.Random) -> list[EpisodePlan]:
    """The patient's episodes, oldest first."""
    first, second = spec.complaints
    match spec.stage:
        case Stage.REGISTERED:
            return []
        case Stage.NEW_TODAY:
            return [EpisodePlan(first, today, visits=[today, _business_days_after(today, 5)])]
        case Stage.IN_CARE:
            return [_in_care(first, today, rng, weeks=(1, 6))]
        case Stage.LAPSING:
            plan = _in_care(first, today, rng, weeks=(4, 9))
            # They stopped coming two weeks ago, the last time without calling.
            plan.visits = _weekly(plan.opened_on, today - 2 * ONE_WEEK)
            plan.books_next, plan.missed_last = False, True
            return [plan]
        case Stage.RETURNING:
            return [_discharged(first, today, rng, days_ago=(300, 700)), _in_care(second, today, rng, weeks=(1, 4))]
        case Stage.DISCHARGED:
            return [_discharged(first, today, rng, days_ago=(60, 400))]
    raise AssertionError(spec.stage)


Slot = tuple[datetime.datetime, datetime.datetime]


class Diary:
    """Each clinician's taken times per local day, so no two visits of one clinician overlap."""

    def __init__(self, zone: datetime.tzinfo) -> None:
        self.zone = zone
        self._taken: dict[tuple[int, datetime.date], list[Slot]] = defaultdict(list)

    def block(self, clinician_id: int, start: datetime.datetime, end: datetime.datetime) -> None:
        self._taken[(clinician_id, start.astimezone(self.zone).date())].append((start, end))

    def book(self, clinician_id: int, day: datetime.date, length: datetime.timedelta, earliest: datetime.time) -> Slot:
        """The first free slot from ``earliest`` on, else from opening time."""
        taken = self._taken[(clinician_id, day)]
        closes = datetime.datetime.combine(day, CLOSES, tzinfo=self.zone)
        for first in (earliest, OPENS):
            start = datetime.datetime.combine(day, first, tzinfo=self.zone)
            while start + length <= closes:
                clash = next((end for begin, end in taken if begin < start + length and start < end), None)
                if clash is None:
                    taken.append((start, start + length))
                    return start, start + length
                start = clash.astimezone(self.zone)
        raise CommandError(f"No free {length} slot for clinician #{clinician_id} on {day}.")


# --- Writing the rows ----------------------------------------------------------------------


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """``update_or_create`` that tolerates a duplicate a demo user added by hand."""
    row = model.objects.filter(**lookup).order_by("pk").first()
    if row is None:
        return model.objects.create(**lookup, **values)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def _refuse_real_databases(force: bool) -> None:
    # Known passwords must never land next to real clinics by accident, whatever DEBUG says.
    if force:
        return
    demo_emails = [login.email for login in DEMO_LOGINS]
    real = Clinic.objects.exclude(name=DEMO_CLINIC["name"]).exclude(staff__email__in=demo_emails)
    if real.exists():
        raise CommandError(
            "This database holds other clinics: refusing to add demo logins with a published password. "
            "Pass --force if this really is a demo server."
        )


def seed_clinic() -> Clinic:
    # Found through the demo staff first, so a demo admin renaming the clinic does not lead to a second one.
    demo_emails = [login.email for login in DEMO_LOGINS]
    clinic = (
        Clinic.objects.filter(staff__email__in=demo_emails).order_by("pk").first()
        or Clinic.objects.filter(name=DEMO_CLINIC["name"]).order_by("pk").first()
        or Clinic()
    )
    for name, value in DEMO_CLINIC.items():
        setattr(clinic, name, value)
    clinic.save()
    return clinic


def seed_staff(clinic: Clinic) -> dict[str, User]:
    """The demo logins, by e-mail, with exactly their role and the demo password."""
    groups = {group.name: group for group in Group.objects.filter(name__in=[role.value for role in Role])}
    now = timezone.now()
    staff = {}
    for login in DEMO_LOGINS:
        user = User.objects.filter(email__iexact=login.email).first() or User(email=login.email)
        user.full_name = login.full_name
        user.clinic = clinic
        user.is_active = True
        # Clinic admins use the Django admin, as services._set_roles grants.
        user.is_staff = login.role == Role.CLINIC_ADMIN
        # A sent invitation keeps the invitation sweep from e-mailing demo addresses.
        user.invitation_sent_at = user.invitation_sent_at or now
        # Re-hashing on every run would change the session hash and sign demo users out.
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([groups[login.role.value]])
        if login.role == Role.CLINICIAN:
            ClinicianProfile.objects.update_or_create(
                user=user, defaults={"credentials": login.credentials, "license_number": f"DEMO-{user.pk:04d}"}
            )
            if not user.working_hours.exists():
                # Weekdays 08:00-17:00, the window the demo's visits are drawn in.
                WorkingHours.objects.bulk_create(
                    WorkingHours(clinician=user, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
                    for weekday in range(5)
                )
        staff[login.email] = user
    return staff


def seed_two_factor(staff: dict[str, User]) -> None:
    """The demo logins that must use a second factor get the published demo key (README)."""
    for user in staff.values():
        if two_factor_services.is_required(user):
            two_factor_demo.seed_device(user)


def seed_patients(clinic: Clinic, specs: list[PatientSpec]) -> list[Patient]:
    return [_upsert(Patient, {"clinic": clinic, "email": spec.email}, spec.fields()) for spec in specs]


def _visit(
    diary: Diary,
    episode: EpisodeOfCare,
    day: datetime.date,
    *,
    initial: bool,
    missed: bool,
    now: datetime.datetime,
    rng: random.Random,
) -> Appointment:
    earliest = datetime.time(rng.randint(OPENS.hour, CLOSES.hour - 1), rng.choice((0, 15, 30, 45)))
    starts_at, ends_at = diary.book(episode.lead_clinician_id, day, INITIAL_VISIT if initial else FOLLOW_UP, earliest)
    # Today's visits that are already over count as seen, as they would at a real front desk.
    if ends_at > now:
        status = AppointmentStatus.BOOKED
    else:
        status = AppointmentStatus.NO_SHOW if missed else AppointmentStatus.COMPLETED
    return Appointment(
        episode=episode, clinician_id=episode.lead_clinician_id, starts_at=starts_at, ends_at=ends_at, status=status
    )


def seed_care(clinic: Clinic, patients: list[Patient], specs: list[PatientSpec], clinicians: list[User]) -> list[int]:
    """Upsert the episodes and rebuild their appointments; returns the seeded episodes' ids."""
    now = timezone.now()
    today = timezone.localdate(now, timezone=clinic.zone)
    rng = random.Random(SCHEDULE_SEED)
    # Alternating within each stage gives both clinicians some of every kind of patient,
    # their own "needs attention" list included.
    leads: defaultdict[tuple[Stage, bool], Iterator[User]] = defaultdict(lambda: cycle(clinicians))
    planned: list[tuple[EpisodeOfCare, EpisodePlan]] = []
    for patient, spec in zip(patients, specs, strict=True):
        for plan in plan_episodes(spec, today, rng):
            values = {
                "lead_clinician": next(leads[(spec.stage, plan.closed_on is None)]),
                "status": EpisodeStatus.DISCHARGED if plan.closed_on else EpisodeStatus.OPEN,
                "opened_on": plan.opened_on,
                "closed_on": plan.closed_on,
            }
            episode = _upsert(EpisodeOfCare, {"patient": patient, "presenting_complaint": plan.complaint}, values)
            planned.append((episode, plan))

    episode_ids = [episode.pk for episode, _ in planned]
    # Rebuilt rather than matched: yesterday's "today" visits would otherwise pile up.
    notes_demo.clear(episode_ids)
    Appointment.objects.filter(episode_id__in=episode_ids).delete()
    diary = Diary(clinic.zone)
    for other in Appointment.objects.filter(clinician__in=clinicians).exclude(status=AppointmentStatus.CANCELLED):
        diary.block(other.clinician_id, other.starts_at, other.ends_at)

    next_visits: Counter[int] = Counter()
    visits = []
    for episode, plan in planned:
        days = list(plan.visits)
        if plan.books_next:
            offset = NEXT_VISIT_DAYS[next_visits[episode.lead_clinician_id] % len(NEXT_VISIT_DAYS)]
            next_visits[episode.lead_clinician_id] += 1
            # Seen today and booked again for next week, so today's patients stay off "needs attention".
            days += [today, _business_days_after(today, 5)] if offset == 0 else [_business_days_after(today, offset)]
        for number, day in enumerate(days):
            missed = (plan.missed_last and number == len(days) - 1) or (number > 0 and rng.random() < 0.06)
            visits.append(_visit(diary, episode, day, initial=number == 0, missed=missed, now=now, rng=rng))
    Appointment.objects.bulk_create(visits)
    # bulk_create sends no signals: the episodes' latest attended visits are stored here.
    last_attended.refresh(episode_ids=episode_ids)
    return episode_ids


# --- Care that ended: written once, then left alone --------------------------------------------


class EndedCare(NamedTuple):
    spec: PatientSpec
    ending: notes_demo.Ending
    opened_weeks_ago: int
    visits: int  # weekly, from the day the episode opened


def _ended(first: str, last: str, sex: Sex, born: datetime.date, phone: str, complaint: str) -> PatientSpec:
    return PatientSpec(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        sex=sex,
        email=f"{first}.{last}@example.com".lower(),
        mobile_phone=phone,
        preferred_contact_channel=ContactChannel.EMAIL,
        contact_consent=True,
        stage=Stage.DISCHARGED,
        complaints=(complaint, complaint),
    )


# Four more synthetic patients, outside the drawn 25 (last names not in LAST_NAMES, phones 555-0190s), whose
# visits are all weeks or months back: the discharge pages, a follow-up answered, the lapsed list.
ENDED_CARE: tuple[EndedCare, ...] = (
    EndedCare(
        _ended("Iris", "Calloway", Sex.FEMALE, datetime.date(1984, 5, 17), "+13125550190", COMPLAINTS[0]),
        notes_demo.Ending.FOLLOWED_UP,
        opened_weeks_ago=30,
        visits=6,
    ),
    EndedCare(
        _ended("Elliot", "Marsh", Sex.MALE, datetime.date(1991, 9, 3), "+13125550191", COMPLAINTS[2]),
        notes_demo.Ending.GOALS_MET,
        opened_weeks_ago=16,
        visits=5,
    ),
    EndedCare(
        _ended("Beatrix", "Oduya", Sex.FEMALE, datetime.date(1977, 2, 11), "+13125550192", COMPLAINTS[4]),
        notes_demo.Ending.STOPPED_ATTENDING,
        opened_weeks_ago=18,
        visits=3,
    ),
    EndedCare(
        _ended("Wesley", "Grant", Sex.MALE, datetime.date(1969, 11, 28), "+13125550193", COMPLAINTS[7]),
        notes_demo.Ending.LAPSED,
        opened_weeks_ago=12,
        visits=4,
    ),
)
PATIENT_COUNT_WITH_ENDED_CARE = PATIENT_COUNT + len(ENDED_CARE)


def seed_ended_care(clinic: Clinic, clinicians: list[User]) -> list[tuple[EpisodeOfCare, notes_demo.Ending]]:
    """The patients of ``ENDED_CARE`` with an open episode and its past visits, made once: their dates are
    kept on later runs (the discharges and the follow-up are dated by them)."""
    now = timezone.now()
    today = timezone.localdate(now, timezone=clinic.zone)
    rng = random.Random(SCHEDULE_SEED + 1)
    diary = Diary(clinic.zone)
    for other in Appointment.objects.filter(clinician__in=clinicians).exclude(status=AppointmentStatus.CANCELLED):
        diary.block(other.clinician_id, other.starts_at, other.ends_at)
    ended = []
    for number, care in enumerate(ENDED_CARE):
        patient = _upsert(Patient, {"clinic": clinic, "email": care.spec.email}, care.spec.fields())
        complaint = care.spec.complaints[0]
        episode = EpisodeOfCare.objects.filter(patient=patient, presenting_complaint=complaint).order_by("pk").first()
        if episode is None:
            opened_on = _weekday_on_or_before(today - care.opened_weeks_ago * ONE_WEEK)
            episode = EpisodeOfCare.objects.create(
                patient=patient,
                presenting_complaint=complaint,
                lead_clinician=clinicians[number % len(clinicians)],
                status=EpisodeStatus.OPEN,
                opened_on=opened_on,
            )
            Appointment.objects.bulk_create(
                _visit(diary, episode, opened_on + week * ONE_WEEK, initial=week == 0, missed=False, now=now, rng=rng)
                for week in range(care.visits)
            )
            last_attended.refresh(episode_ids=[episode.pk])
        ended.append((episode, care.ending))
    return ended


def seed_email_reader(clinic: Clinic) -> None:
    """The patient of the first episode with a re-assessment (which gets a signed plan) takes
    messages by e-mail, so the handout message with its portal link lands in var/mail/."""
    episode = (
        EpisodeOfCare.objects.filter(patient__clinic=clinic, assessments__kind=AssessmentKind.REASSESSMENT)
        .order_by("pk")
        .first()
    )
    if episode is not None:
        Patient.objects.filter(pk=episode.patient_id).update(
            preferred_contact_channel=ContactChannel.EMAIL, contact_consent=True
        )


def seed_handouts(clinic: Clinic) -> tuple[int, int]:
    """Make the demo's handouts now and send what is owed, so the version pages show a PDF and
    var/mail/ holds a portal link before the worker has started; the render and send tasks
    that signing queued then find nothing left to do. Returns (made, sent)."""
    demo = Handout.objects.filter(version__plan__episode__patient__clinic=clinic)
    made = sum(
        handouts.render(handout_id=pk) for pk in demo.exclude(status=HandoutStatus.READY).values_list("pk", flat=True)
    )
    sent = 0
    owed = PatientMessage.objects.filter(
        kind=MessageKind.HANDOUT_READY, subject_id__in=demo.values("pk"), status__in=UNSENT
    ).values_list("pk", flat=True)
    for message_id in owed:
        try:
            sent += dispatch.deliver(message_id=message_id)
        except TransientDeliveryError:
            continue  # the worker's retry or the dispatcher sends it
    return made, sent


class Command(BaseCommand):
    help = (
        f"Create or reset the synthetic demo clinic: staff logins, {PATIENT_COUNT_WITH_ENDED_CARE} patients, "
        "episodes, visits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Seed even though the database holds other clinics.")

    def handle(self, *args, force: bool = False, **options) -> None:
        with transaction.atomic():
            _refuse_real_databases(force)
            # The post_migrate hook makes the role groups; a flushed database may lack them.
            sync_role_groups()
            clinic = seed_clinic()
            staff = seed_staff(clinic)
            seed_two_factor(staff)
            appointment_types_seed(clinic=clinic)
            clinicians = [staff[login.email] for login in DEMO_LOGINS if login.role == Role.CLINICIAN]
            specs = patient_specs()
            patients = seed_patients(clinic, specs)
            episode_ids = seed_care(clinic, patients, specs, clinicians)
            seeded_episodes = EpisodeOfCare.objects.filter(pk__in=episode_ids).select_related("patient")
            seed_intakes(episodes=list(seeded_episodes), front_desk=staff[FRONT_DESK_EMAIL])
            seed_assessments(episodes=list(seeded_episodes.select_related("intake", "lead_clinician")))
            seed_email_reader(clinic)
            seed_plans(clinic=clinic)
            running_demo.seed_runner(clinic=clinic)
            endings = seed_ended_care(clinic, clinicians)
            ended = notes_demo.seed_discharges(endings=endings, front_desk=staff[FRONT_DESK_EMAIL])
            notes_made = notes_demo.seed_notes(clinic=clinic)
        handouts_made, handouts_sent = seed_handouts(clinic)

        visits = Appointment.objects.filter(episode_id__in=[*episode_ids, *(episode.pk for episode, _ in endings)])
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {clinic}: {len(staff)} staff, {len(patients) + len(endings)} patients, "
                f"{len(episode_ids) + len(endings)} episodes, {visits.count()} appointments, {notes_made} visit notes, "
                f"{ended} episodes discharged, "
                f"{handouts_made} handouts made and {handouts_sent} sent. "
                "All people are synthetic."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        email_width = max(len(login.email) for login in DEMO_LOGINS)
        role_width = max(len(login.role.value) for login in DEMO_LOGINS)
        self.stdout.write("")
        self.stdout.write(f"{'E-mail':<{email_width}}  {'Role':<{role_width}}  Password")
        for login in DEMO_LOGINS:
            self.stdout.write(f"{login.email:<{email_width}}  {login.role.value:<{role_width}}  {DEMO_PASSWORD}")
        self.stdout.write("")
        self.stdout.write(
            "The clinician and admin logins also ask for a code from an authenticator app. Add the demo key "
            f"{two_factor_demo.grouped_key()} to your app (time-based, 6 digits), or print the current code "
            "with: DEBUG=true python manage.py demo_code clinician@demo.test"
        )
