"""Every route the project serves, a seeded world of two clinics, and concrete URLs for a
route in either clinic: what tests that must cover *every* route share (the tenant-isolation
test in tests/clinic/test_isolation.py, the audit-coverage test).

- ``iter_routes()`` walks the URL resolver (included patterns, the DRF router, the Django
  admin's per-model URLs) and yields a ``Route`` for each pattern: its name, pattern, the
  names of its URL kwargs and the HTTP methods its view answers.
- ``build_world()`` builds two clinics, A and B, each with its staff (one per role, each with
  an API token), a patient with a submitted intake, an assessment with findings, a signed plan
  with its handout PDF, visits with reminders, links (intake, portal, reminder, calendar feed,
  password set), library rows, webhooks... through the services where that is how they are
  made. Every free-text field of every clinic-B row carries the marker ``MARKER``
  (``marked_rows`` names them), so any clinic-B text in a response can be found with
  ``leaks(response_text(response))``. ``seeded_world`` builds it once for a module-scoped
  fixture.
- ``client_for(world, caller)`` calls as one of clinic A's roles (session or API token) or as
  a patient; ``snapshot(clinic)`` and ``cross_clinic_references()`` show that nothing changed
  and that no row points at another clinic's.
- ``urls_for(route, world, "a" | "b")`` gives the concrete URLs of a route: its ids from clinic
  A's or clinic B's rows (keys such as patient-link tokens are always clinic A's: a requester
  holds only their own keys; B's variant of a route without ids is empty). A route whose kwargs
  it cannot fill raises ``UnfilledRoute`` naming it, so a new route is noticed, not skipped.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_filters.rest_framework import DjangoFilterBackend
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import Finding, OutcomeScore, RomMeasurement
from clinic import api_tokens, services
from clinic.contact_changes import services as contact_changes
from clinic.models import AccountNotice, ApiToken, AuditEvent, Clinic, ClinicianProfile, ContactChange, Patient
from clinic.outbox.models import (
    PER_VISIT_TYPE,
    LinkAction,
    MessageKind,
    MessageLink,
    MessageStatus,
    MessageWording,
    PatientMessage,
    WordingKind,
)
from clinic.outbox.reminders import LINKS as REMINDER_LINKS
from clinic.outbox.reminders import SHORT_LINKS as SHORT_REMINDER_LINKS
from clinic.permissions import Role
from clinic.portal import services as portal_services
from clinic.portal.models import HomeProgramCheckIn, PortalLink
from clinic.scheduling import services as schedule_services
from clinic.scheduling import visit_reminders
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CalendarFeed,
    HoursException,
    PatientChange,
    PatientVisitChange,
    TimeOff,
    VisitSeries,
    WorkingHours,
)
from clinic.webhooks import rules as webhook_rules
from clinic.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from intake import services as intake_services
from intake.models import LicensedInstrumentText, QuestionnaireScore, RedFlag, ReviewNote
from intake.steps import STEPS
from notes import discharge as discharge_services
from notes import discharge_documents
from notes import measures as note_measures
from notes import rules as note_rules
from notes import services as note_services
from notes.follow_up_messages import LINKS as FOLLOW_UP_LINKS
from notes.models import (
    FollowUp,
    FollowUpConsent,
    FollowUpScore,
    NoteItem,
    NotePlanDraft,
    PlanCertification,
    ProgressReport,
)
from plans import services as plan_services
from plans.models import Contraindication, Intervention, PlanRule, PlanVersion, Prong, RuleItem, RunProgramTemplate
from plans.views import LIBRARY_KINDS
from running import readiness
from running.devices.fit_writer import run_fit
from running.models import PhaseDecision, ReadinessCriterion, ReadinessItemResult, ReturnToRun, Run, RunFile
from running.services import cadence as cadence_services
from running.services import readiness as readiness_services
from running.services import runs as run_services
from running.services import uploads as run_file_uploads
from tests.assessments.helpers import login, record
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.intake.helpers import complete_intake, send_invitation, token_of
from tests.running.files_fixtures import gpx as files_gpx
from tests.running.files_fixtures import upload as files_upload

# --- Routes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern as the resolver holds it."""

    name: str | None  # "patient_detail", "api-patient-detail", "admin:clinic_patient_change"; None for unnamed
    pattern: str  # the whole pattern, prefixes joined: "patients/<int:pk>/", "api/^patients/(?P<pk>[^/.]+)/$"
    kwargs: tuple[str, ...]  # names of its URL kwargs, in order
    methods: tuple[str, ...]  # HTTP methods its view answers (HEAD and OPTIONS left out)
    callback: Callable = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} {self.pattern}"

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_fhir(self) -> bool:
        return self.pattern.startswith("fhir/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")

    @property
    def viewset(self):
        """The DRF viewset class of a router route, else None."""
        return getattr(self.callback, "cls", None) if getattr(self.callback, "actions", None) else None


_WRITE_AND_READ = ("GET", "POST")
_HTTP = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _declared_methods(view) -> tuple[str, ...] | None:
    """The methods of ``require_http_methods`` (``require_POST``...) anywhere in the decorator chain."""
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return tuple(method.upper() for method in cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return None


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF router route: the methods its viewset maps to actions
        return tuple(method.upper() for method in actions)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return tuple(method for method in _HTTP if hasattr(view_class, method.lower()))
    return _declared_methods(callback) or _WRITE_AND_READ


def _walk(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            kwargs = tuple(entry.pattern.regex.groupindex)
            if "format" in kwargs:
                # DRF's format-suffix twin of a route (".json"): the same view; ``?format=`` reaches it.
                continue
            yield Route(name, prefix + str(entry.pattern), kwargs, _methods(entry.callback), entry.callback)


def iter_routes(urlconf=None) -> Iterator[Route]:
    """Every route of the project (or of ``urlconf``), format-suffix twins left out."""
    yield from _walk(get_resolver(urlconf).url_patterns)


# --- The seeded world --------------------------------------------------------------------------------

MARKER = "zebraquail"
# Clinic B's patient's date of birth: no other date in the world is this one.
B_BIRTH_DATE = datetime.date(1911, 11, 11)
ROLES = ("clinician", "front_desk", "clinic_admin")


def mark(label: str) -> str:
    """A clinic-B text: the marker and what it marks, so a leak names the field it came from."""
    return f"Zebraquail {label}"


@dataclass
class Side:
    """One clinic's records. ``rows`` holds one row of each model (the ones URLs name)."""

    key: str
    clinic: object
    users: dict[str, object] = field(default_factory=dict)  # role -> staff member
    api_tokens: dict[str, str] = field(default_factory=dict)  # role -> raw API token (clinical scope if allowed)
    links: dict[str, str] = field(default_factory=dict)  # kind -> raw patient-link / feed token
    rows: dict[type[models.Model], models.Model] = field(default_factory=dict)

    def row(self, model: type[models.Model]) -> models.Model:
        return self.rows[model]

    def __getattr__(self, name: str):
        # side.patient, side.episode, side.red_flag...: the row of the model of that name.
        wanted = ALIASES.get(name, name.replace("_", ""))
        for model, row in self.__dict__.get("rows", {}).items():
            if model._meta.model_name == wanted:
                return row
        raise AttributeError(name)


ALIASES = {"episode": "episodeofcare", "plan": "treatmentplan", "score": "questionnairescore", "version": "planversion"}


@dataclass
class World:
    a: Side
    b: Side

    def side(self, key: str) -> Side:
        return {"a": self.a, "b": self.b}[key]


def _tomorrow_at(clinic, hour: int) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), clinic.zone) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=clinic.zone)


def _build_side(key: str) -> Side:
    b = key == "b"

    def text(label: str, plain: str) -> str:
        return mark(label) if b else plain

    clinic = ClinicFactory(
        name=text("clinic name", "Lakeside Running Clinic"),
        email="desk@zebraquail.example.test" if b else "desk@lakeside.example.test",
        address=text("clinic address", "1 Lake Street"),
        # Progress reports and plan re-certification on: their pages show the episode, not a 404.
        progress_reports=True,
    )
    side = Side(key, clinic)
    emails = {role: f"{role.replace('_', '-')}@{'zebraquail' if b else 'lakeside'}.example.test" for role in ROLES}
    for role, role_enum in zip(ROLES, (Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN), strict=True):
        side.users[role] = UserFactory(
            clinic=clinic, roles=[role_enum], email=emails[role], full_name=text(f"{role} name", f"Lake {role}")
        )
    clinician, front_desk, clinic_admin = (side.users[role] for role in ROLES)
    for role in ROLES:
        owner = side.users[role]
        # The clinician makes their own (only the owner gives a token clinical reach); the admin the others.
        _, side.api_tokens[role] = api_tokens.api_token_create(
            actor=owner if role == "clinician" else clinic_admin,
            owner=owner,
            name=text(f"{role} token name", f"{role} integration"),
            clinical_scope=role == "clinician",
        )
    ClinicianProfile.objects.filter(user=clinician).update(
        credentials=text("credentials", "DC"), license_number=text("licence", "IL-1")
    )

    patient = PatientFactory(
        clinic=clinic,
        first_name=text("first name", "Robin"),
        last_name=text("last name", "Lakeshore"),
        email="patient@zebraquail.example.test" if b else "patient@lakeside.example.test",
        date_of_birth=B_BIRTH_DATE if b else datetime.date(1984, 5, 6),
    )
    episode = services.episode_open(
        actor=front_desk,
        patient=patient,
        presenting_complaint=text("presenting complaint", "Right hip pain on long runs"),
        lead_clinician=clinician,
        opened_on=timezone.localdate() - datetime.timedelta(days=60),
    )

    # The intake, answered by the patient through the link they were sent.
    patient_client = Client()
    link = send_invitation(episode, actor=front_desk)
    answers = {
        "about": {"emergency_contact": text("emergency contact", "Sam Lakeshore")},
        "consent": {"signature": f"{patient.first_name} {patient.last_name}"},
        "complaint": {"onset_story": text("onset story", "Long run on a cambered road")},
        "running": {"shoes": text("shoes", "Daily trainers"), "goal_race": text("goal race", "Lakefront Half")},
        "daily": {"work": text("work", "Accountant")},
        "history": {"prior_injuries": text("prior injuries", "Hamstring strain")},
    }
    response = complete_intake(patient_client, link, answers=answers)
    assert response.status_code == 302, response.status_code
    intake = episode.intake
    intake.refresh_from_db()
    intake_services.review_note_add(actor=clinician, intake=intake, text=text("review note", "Reviewed with patient"))
    red_flag = RedFlag.objects.create(
        episode=episode,
        intake=intake,
        code="night_pain",
        tier="caution",
        label=text("red flag label", "Night pain"),
        raised_at=timezone.now(),
    )
    intake_services.red_flag_clear(
        actor=clinician, red_flag=red_flag, note=text("clearance note", "Explained by sleeping position")
    )

    # A second episode whose intake link is still open: the patient's intake pages.
    open_episode = services.episode_open(
        actor=front_desk,
        patient=patient,
        presenting_complaint=text("second complaint", "Low back stiffness"),
        lead_clinician=clinician,
        opened_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    side.links["intake"] = token_of(send_invitation(open_episode, actor=front_desk))

    # The exam, its findings and the signed plan with its handout PDF.
    staff_client = login(Client(), clinician)
    assessment = record(staff_client, episode, changes={"form_notes": text("form notes", "Trunk upright")})
    finding = assessment_services.finding_add(
        actor=clinician,
        assessment=assessment,
        label=text("finding label", "Weak hip abductors"),
        side="right",
        reason=text("finding reason", "Single-leg squat"),
    )
    OutcomeScore.objects.create(
        assessment=assessment, instrument="nprs", answers={"pain_now": 4}, value=4, display="4 / 10", scored=True
    )
    dismissed = assessment.findings.exclude(pk=finding.pk).first()
    assessment_services.finding_dismiss(
        actor=clinician, finding=dismissed, reason=text("dismiss reason", "Not borne out")
    )
    plan = plan_services.plan_draft(actor=clinician, assessment=assessment)
    if b:
        # The library is seeded with the same names in every clinic: clinic B's own words.
        for row in Intervention.objects.filter(clinic=clinic):
            row.name = mark(f"intervention {row.pk}")[:120]
            row.save(update_fields=["name"])
        plan.items.update(name=mark("plan item"))
    item = plan.items.order_by("id").first()
    plan_services.item_update(actor=clinician, item=item, instructions=text("item instructions", "Slowly"))
    plan = plan_services.plan_update(
        actor=clinician,
        plan=plan,
        goals=[text("goal", "Run the half pain-free")],
        running_advice=[text("running advice", "Shorter steps")],
        missing_prong_reasons={prong.value: text("missing prong reason", "Not needed yet") for prong in Prong},
    )
    # The clinic's own version of the standard walk-run program, in the plan: signing starts the runner at phase 1.
    shipped = RunProgramTemplate.objects.get(clinic=None, key="standard-walk-run", version=1)
    run_program = plan_services.run_program_save(
        actor=clinic_admin,
        base=shipped,
        name=text("run program name", "Walk-run"),
        phases=shipped.phases,
        rule_texts=[text("run program rule", "Rest a day between runs")],
    )
    plan = plan_services.run_program_choose(actor=clinician, plan=plan, program=run_program)
    with TestCase.captureOnCommitCallbacks(execute=True):
        version = plan_services.plan_sign(actor=clinician, plan=plan)
    version = PlanVersion.objects.select_related("handout").get(pk=version.pk)
    return_to_run = ReturnToRun.objects.get(episode=plan.episode)
    run = Run.objects.create(
        episode=plan.episode,
        return_to_run=return_to_run,
        phase=1,
        started_at=timezone.now(),
        local_date=timezone.localdate(),
        distance_m=1609,
        moving_s=900,
        step_rate=168,
        pain_before=1,
        pain_during=1,
        morning_pain=1,
        swelling_or_stiffness=False,
        note=text("run note", "Felt easy"),
    )
    phase_decision = PhaseDecision.objects.create(
        return_to_run=return_to_run,
        run=run,
        proposed_step="progress",
        reasons=[text("phase decision reason", "Two easy runs")],
        from_phase=1,
        to_phase=2,
    )
    HomeProgramCheckIn.objects.create(version=version, day=timezone.localdate(), done_items=[0], pain=3)
    logged_run = run_services.log_run(
        episode=episode,
        local_date=episode.opened_on,
        distance_m=5000,
        moving_s=1800,
        feel=run_services.Feel(pain_during=2, rpe=3, swelling_or_stiffness=False, note=text("run note", "Easy loop")),
        actor=clinician,
    )

    # The schedule: visit types, hours, time off, a booked visit with reminders, the wait list.
    schedule_services.appointment_types_seed(clinic=clinic)
    visit_type = AppointmentType.objects.filter(clinic=clinic).order_by("id").first()
    AppointmentType.objects.filter(pk=visit_type.pk).update(name=text("visit type", "Follow-up"))
    working_hours = WorkingHours.objects.create(
        clinician=clinician, weekday=0, start=datetime.time(8), end=datetime.time(17)
    )
    time_off = TimeOff.objects.create(
        clinician=clinician,
        starts_at=_tomorrow_at(clinic, 18),
        ends_at=_tomorrow_at(clinic, 19),
        reason=text("time off reason", "Conference"),
    )
    hours_change = HoursException.objects.create(
        clinician=clinician,
        day=_tomorrow_at(clinic, 9).date() + datetime.timedelta(days=7),
        start=datetime.time(12),
        end=datetime.time(16),
        note=text("change of hours note", "Holiday hours"),
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        appointment = schedule_services.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=clinician,
            starts_at=_tomorrow_at(clinic, 9),
            kind="follow_up",
            override_reason=text("override reason", "Patient asked for early"),
        )
    entry = schedule_services.wait_list_add(
        actor=front_desk, episode=open_episode, clinician=clinician, note=text("wait list note", "Mornings only")
    )
    reminder = visit_reminders.of_visit(appointment).first()
    message = PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE, subject_id=appointment.pk).get()
    PatientMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, reason=text("message failure", "Refused by the provider")
    )
    PatientMessage.objects.filter(pk=reminder.pk).update(reason=text("reminder reason", "Mailbox full"))
    for action in REMINDER_LINKS:
        raw, token_hash = REMINDER_LINKS[action].new()
        MessageLink.objects.create(
            message=reminder, action=action, token_hash=token_hash, expires_at=appointment.starts_at
        )
        side.links[f"reminder_{action}"] = raw
    # A text message's short link; and a visit the patient moved themselves.
    raw, token_hash = SHORT_REMINDER_LINKS.new()
    MessageLink.objects.create(
        message=reminder, action=LinkAction.CONFIRM, token_hash=token_hash, expires_at=appointment.starts_at
    )
    side.links["reminder_short"] = raw
    patient_change = PatientVisitChange.objects.create(
        appointment=appointment,
        change=PatientChange.RESCHEDULED,
        old_starts_at=appointment.starts_at - datetime.timedelta(days=1),
        old_ends_at=appointment.ends_at - datetime.timedelta(days=1),
        old_override_reason=text("moved visit override reason", "Early start"),
        new_starts_at=appointment.starts_at,
    )
    series = VisitSeries.objects.create(episode=episode, created_by=front_desk)
    # The visit's note, signed, with an addendum: the note's pages show each of them.
    visit_note = note_services.note_open(actor=clinician, appointment=appointment)
    note_lines = list(visit_note.items.order_by("id"))
    note_line = note_lines[0]
    note_services.note_save(
        actor=clinician,
        note=visit_note,
        values={
            "function": text("note function", "Runs 5 km"),
            "response": "better",
            "next_visit": text("note next visit", "Repeat"),
            "total_minutes": 30,
            "timed_minutes": 20,
        },
        lines=[
            (
                line,
                note_rules.LineDraft(
                    prong=line.prong,
                    name=line.name,
                    region=text("note region", "L4"),
                    technique=text("note technique", "Side posture"),
                    minutes=5,
                ),
            )
            for line in note_lines
        ],
    )
    # A re-measure and a segment's PART exam on it (they hold no free text).
    note_measure = note_services.measure_save(
        actor=clinician,
        note=visit_note,
        measure=note_measures.Remeasure(kind="special_test", code="thomas", side="left", result="negative"),
    )
    note_part = note_services.part_save(
        actor=clinician, note=visit_note, segment="L4", exam=note_measures.PartExam(pain=True, asymmetry=True)
    )
    note_services.note_sign(actor=clinician, note=visit_note)
    addendum = note_services.addendum_add(actor=clinician, note=visit_note, text=text("addendum", "Ice advised"))
    # The plan version the note's progression drafted, and the assessment recorded as a progress report.
    note_plan_draft = NotePlanDraft.objects.create(
        note=visit_note, plan=plan, from_version=version, number=version.number + 1, created_by=clinician
    )
    progress_report = ProgressReport.objects.create(
        episode=episode,
        assessment=assessment,
        reported_on=assessment.assessed_on,
        goal_progress=text("progress report goals", "Pain-free 5 km: met"),
        plans=text("progress report plans", "Two more weeks"),
        goal_changes=text("progress report goal changes", "None"),
        author=clinician,
    )
    plan_certification = PlanCertification.objects.create(
        episode=episode,
        certified_on=assessment.assessed_on,
        certified_by=text("plan certification certifier", "Dr Okafor, MD"),
        recorded_by=clinician,
    )
    # A step-rate target over the run's step rate.
    cadence_prescription = cadence_services.prescribe(episode=episode, actor=clinician, increase_pct=5)
    # A return-to-run check against the checklist, and the clinic's own wording of one criterion.
    readiness_check = readiness_services.check_record(
        actor=clinician,
        episode=episode,
        entry=readiness_services.Entry(
            values={
                "checked_on": timezone.localdate(),
                "pain_now": 2,
                "involved_side": "right",
                "reach_left_anterior": Decimal(80),
                "reach_right_anterior": Decimal(70),
                "hos_adl": Decimal(90),
                "decision": "hold",
                "override_reason": text("readiness reason", "Hold a week"),
            },
            items={"plank": readiness.ItemInput("plank", value=Decimal(40), pelvic_control="ok")},
            notes={"plank": text("readiness item note", "Shaky at 30 s")},
        ),
    )
    readiness_criterion = ReadinessCriterion.objects.create(
        clinic=clinic,
        key="plank",
        label=text("readiness criterion", "Front plank"),
        measure=text("readiness measure", "Hold for 45 seconds"),
        target=Decimal(45),
    )
    # The runner's device files: one read into a run, the same run again as GPX waiting for the
    # clinician (a probable duplicate), under names that carry the marker.
    for name, content in ((text("run file name", "morning") + ".fit", run_fit()), ("run.gpx", files_gpx())):
        received = run_file_uploads.receive_file(episode, files_upload(name, content))
        run_file_uploads.read_file(run_file_id=received.pk)
    run_file = RunFile.objects.get(pk=received.pk)
    # Checked out once noted: the FHIR export shows a completed visit as an Encounter.
    Appointment.objects.filter(pk=appointment.pk).update(series=series, status=AppointmentStatus.COMPLETED)
    template = MessageWording.objects.create(
        clinic=clinic,
        kind=MessageKind.FIRST,
        subject=text("reminder subject", "Your visit"),
        body=text("reminder body", "See you soon"),
        sms_body=text("reminder text message", "See you soon"),
    )
    side.links["calendar"] = schedule_services.calendar_feed_create(actor=clinician, clinician=clinician)
    side.links["portal"] = portal_services.link_issue(patient=patient).rstrip("/").rsplit("/", 1)[-1]
    side.links["password_uid"] = urlsafe_base64_encode(force_bytes(clinician.pk))
    side.links["password_token"] = default_token_generator.make_token(clinician)

    # Clinic settings: webhooks with a delivery log, licensed wording, thresholds.
    endpoint = WebhookEndpoint.objects.create(
        clinic=clinic,
        url="https://zebraquail.example.test/hooks" if b else "https://lakeside.example.test/hooks",
        description=text("webhook description", "Billing system"),
        event_types=["plan.signed"],
        secret=webhook_rules.new_secret(),
        created_by=clinic_admin,
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="plan.signed",
        payload={"type": "plan.signed", "data": {"plan": plan.pk}},
        status="given_up",
        attempts=1,
        last_status_code=500,
        last_error=text("delivery error", "Timed out"),
    )
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=timezone.now(),
        duration_ms=12,
        status_code=500,
        error=text("attempt error", "500"),
    )
    licensed = LicensedInstrumentText.objects.create(
        clinic=clinic,
        instrument="odi",
        instructions=text("licensed instructions", "Tick one box"),
        licence_reference=text("licence reference", "MAPI-1"),
    )
    services.thresholds_update(actor=clinic_admin, clinic=clinic, values={"intake_link_days": Decimal(21)})
    # A new address the patient gave through a link, held for the front desk to confirm, and the
    # e-mail owed to a staff member whose password changed.
    with transaction.atomic():
        contact_change = contact_changes.propose(
            patient=patient,
            email="moved@zebraquail.example.test" if b else "moved@lakeside.example.test",
            mobile_phone="",
            channel="email",
        )
    services.staff_password_set(user=front_desk, password="a-long-demo-passphrase-2026")

    # What the Django admin shows beside the app's own rows: its change history and the lockout log.
    log_entry = LogEntry.objects.create(
        user=clinic_admin,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=str(patient),
        action_flag=CHANGE,
        change_message=text("admin change message", "Changed e-mail"),
    )
    attempt_fields = {"username": front_desk.email, "ip_address": "203.0.113.7", "user_agent": text("agent", "ua")}
    access_attempt = AccessAttempt.objects.create(
        **attempt_fields,
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    access_log = AccessLog.objects.create(**attempt_fields, http_accept="", path_info="/accounts/login/")
    access_failure = AccessFailureLog.objects.create(
        **attempt_fields, http_accept="", path_info="/accounts/login/", locked_out=False
    )

    # A third episode, discharged with a summary and a letter, its final measures answered by link and a
    # follow-up owed to the consenting patient: the discharge pages, its PDFs and the follow-up link.
    closing_episode = services.episode_open(
        actor=front_desk,
        patient=patient,
        presenting_complaint=text("third complaint", "Left hip pain"),
        lead_clinician=clinician,
        opened_on=timezone.localdate() - datetime.timedelta(days=90),
    )
    discharged = discharge_services.discharge_episode(
        actor=clinician,
        episode=closing_episode,
        reason="referred_on",
        what_improved=text("what improved", "Pain down"),
        home_program=text("home program kept", "Bridges"),
        when_to_come_back=text("when to come back", "If pain returns"),
        referrer_name=text("referrer name", "Dr Lake"),
        referrer_address=text("referrer address", "2 Lake Street"),
        letter_wanted=True,
        send_final_measures=True,
        follow_up_consent=True,
    )
    for document in discharged.documents.all():
        discharge_documents.render(document_id=document.pk)
    final = FollowUp.objects.get(episode=closing_episode, kind="final")
    raw, token_hash = FOLLOW_UP_LINKS.new()
    FollowUp.objects.filter(pk=final.pk).update(
        token_hash=token_hash, expires_at=timezone.now() + datetime.timedelta(days=14)
    )
    discharge_services.follow_up_answer(follow_up=final, answers={"nprs": {"now": 1, "least": 0, "worst": 2}})
    side.links["follow_up"] = raw

    rule = PlanRule.objects.filter(clinic=clinic).order_by("id").first()
    for row in (
        Group.objects.get(name=Role.CLINICIAN.value),
        clinic,
        clinician,
        clinician.clinician_profile,
        ApiToken.objects.filter(owner=clinician).get(),
        patient,
        episode,
        AuditEvent.objects.filter(clinic=clinic).order_by("id").first(),
        intake,
        intake.invitations.order_by("id").first(),
        QuestionnaireScore.objects.filter(intake=intake).order_by("id").first(),
        red_flag,
        ReviewNote.objects.get(intake=intake),
        licensed,
        assessment,
        RomMeasurement.objects.filter(assessment=assessment).order_by("id").first(),
        Finding.objects.get(pk=finding.pk),
        plan,
        item,
        version,
        version.handout,
        Intervention.objects.get(pk=item.intervention_id),
        rule,
        RuleItem.objects.filter(rule=rule).order_by("id").first(),
        Contraindication.objects.filter(clinic=clinic).order_by("id").first(),
        HomeProgramCheckIn.objects.get(version=version),
        PortalLink.objects.filter(patient=patient).order_by("-id").first(),
        appointment,
        visit_type,
        working_hours,
        time_off,
        hours_change,
        entry,
        patient_change,
        series,
        visit_note,
        NoteItem.objects.get(pk=note_line.pk),
        addendum,
        note_measure,
        note_part,
        note_plan_draft,
        progress_report,
        plan_certification,
        cadence_prescription,
        discharged,
        discharged.documents.order_by("id").first(),
        final,
        FollowUpScore.objects.filter(follow_up=final).order_by("id").first(),
        FollowUpConsent.objects.get(patient=patient),
        readiness_check,
        ReadinessItemResult.objects.filter(readiness_check=readiness_check).order_by("id").first(),
        readiness_criterion,
        run_program,
        return_to_run,
        run,
        phase_decision,
        run_file,
        Run.objects.get(pk=logged_run.pk),
        # One row of each model: the failed notice stands for the messages, the reminder is
        # reached through its link.
        MessageLink.objects.filter(message=reminder).order_by("id").first(),
        PatientMessage.objects.get(pk=message.pk),
        template,
        CalendarFeed.objects.get(clinician=clinician, revoked_at__isnull=True),
        endpoint,
        delivery,
        attempt,
        log_entry,
        access_attempt,
        access_log,
        access_failure,
        ContactChange.objects.get(pk=contact_change.pk),
        AccountNotice.objects.filter(user=front_desk).order_by("id").first(),
    ):
        side.rows[type(row)] = row
    return side


# Text fields that are not free text: codes the program reads, hashes, sealed secrets, settings
# with a fixed syntax. Everything else of clinic B's gets the marker.
NOT_FREE_TEXT = {
    "sha256",
    "fit_identity",
    "password",
    "token_hash",
    "sealed_secret",
    "sealed_previous_secret",
    "key",
    "code",
    "instrument",
    "version",
    "motion",
    "test",
    "pain_location",
    "event_type",
    "channel",
    "time_zone",
    "accent_color",
    "shipped_illustration",
    "override_contraindication",
    "when_detail",
    "object_type",
    "action",
    "side",
    "email",
    "url",
    "mobile_phone",
    "phone",
    "delivery_channel",
    "display",
    "band",
    # A stored outcome's groups: the JSON keys it is tallied by, not anyone's words.
    "groups",
}


def foreign_key_paths(root: type[models.Model]) -> dict[type[models.Model], str]:
    """Each project model -> the lookup from its rows to the ``root`` row they belong to
    ("episode__patient__clinic" for the clinic), found by following foreign keys, required ones
    first, and of those the shortest way (a row's own clinic field before its user's clinic)."""
    paths: dict[type[models.Model], str] = {root: "pk"}
    project = [config for config in apps.get_app_configs() if not config.name.startswith(("django", "axes"))]
    pending = [model for config in project for model in config.get_models() if model is not root]

    def resolve(allow_null: bool) -> bool:
        progress = False
        for model in list(pending):
            links = [
                f
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model in paths and (allow_null or not f.null)
            ]
            if links:
                link = min(
                    links,
                    key=lambda f: 0 if paths[f.related_model] == "pk" else len(paths[f.related_model].split("__")),
                )
                target = paths[link.related_model]
                paths[model] = link.name if target == "pk" else f"{link.name}__{target}"
                pending.remove(model)
                progress = True
        return progress

    # Required foreign keys first: a row belongs where it must point, not where it may.
    while resolve(allow_null=False) or resolve(allow_null=True):
        pass
    return paths


def _clinic_paths() -> dict[type[models.Model], str]:
    return foreign_key_paths(Clinic)


def clinic_rows(clinic) -> Iterator[tuple[type[models.Model], models.QuerySet]]:
    """Every project model with a path to a clinic, and its rows of ``clinic``."""
    for model, path in _clinic_paths().items():
        lookup = "pk" if path == "pk" else f"{path}_id"
        yield model, model._default_manager.filter(**{lookup: clinic.pk})


def row_ids(clinic) -> dict[type[models.Model], set]:
    """Every project model -> the ids of its rows of ``clinic``."""
    return {model: set(rows.values_list("pk", flat=True)) for model, rows in clinic_rows(clinic)}


def cross_clinic_references() -> list[str]:
    """Foreign keys that point from one clinic's row to another clinic's: "model.field: n rows"."""
    paths = _clinic_paths()
    found = []
    for model, path in paths.items():
        if path == "pk":
            continue
        own = f"{path}_id"
        for link in model._meta.concrete_fields:
            if not link.is_relation or link.related_model not in paths:
                continue
            target = paths[link.related_model]
            other = f"{link.name}_id" if target == "pk" else f"{link.name}__{target}_id"
            if other == own:
                continue
            rows = model._default_manager.filter(**{f"{link.name}__isnull": False, f"{own}__isnull": False})
            count = rows.exclude(**{own: models.F(other)}).count()
            if count:
                found.append(f"{model._meta.label_lower}.{link.name}: {count} rows")
    return found


def _free_text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.name not in NOT_FREE_TEXT
        and type(f).__module__.startswith("django.")
        and (f.max_length or 100) >= len(MARKER) + 4
    ]


def _mark_every_free_text(clinic) -> None:
    """Put the marker in every free-text field of clinic B's rows that does not hold it yet."""
    for model, rows in clinic_rows(clinic):
        for text_field in _free_text_fields(model):
            value = mark(f"{model._meta.model_name}.{text_field.name}")[: text_field.max_length or None]
            rows.exclude(**{f"{text_field.name}__icontains": MARKER}).update(**{text_field.name: value})


def marked_rows(clinic) -> dict[str, int]:
    """``model.field`` -> how many of the clinic's rows hold the marker there (for the test that
    checks the world is marked)."""
    counts = {}
    for model, rows in clinic_rows(clinic):
        for text_field in _free_text_fields(model):
            counts[f"{model._meta.label_lower}.{text_field.name}"] = rows.filter(
                **{f"{text_field.name}__icontains": MARKER}
            ).count()
    return counts


def build_world() -> World:
    """Clinic A and clinic B, clinic B's every free text marked (needs database access)."""
    world = World(a=_build_side("a"), b=_build_side("b"))
    _mark_every_free_text(world.b.clinic)
    for side in (world.a, world.b):
        for model, row in side.rows.items():
            side.rows[model] = model._default_manager.get(pk=row.pk)
        side.clinic = side.rows[type(side.clinic)]
        for role, user in side.users.items():
            side.users[role] = type(user)._default_manager.get(pk=user.pk)
    return world


@contextlib.contextmanager
def seeded_world(django_db_blocker) -> Iterator[World]:
    """The two-clinic world for a module-scoped fixture, rolled back when the block ends::

        @pytest.fixture(scope="module")
        def world(django_db_setup, django_db_blocker):
            with seeded_world(django_db_blocker) as built:
                yield built

    Tests that use it take ``db`` too, so what each one writes is rolled back on its own."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """``seeded_world`` as a fixture, for a module that imports it."""
    with seeded_world(django_db_blocker) as built:
        yield built


# --- Concrete URLs -----------------------------------------------------------------------------------


class UnfilledRoute(LookupError):
    """A route whose URL kwargs ``urls_for`` does not know how to fill."""

    def __init__(self, route: Route, kwarg: str):
        super().__init__(
            f"{route.label}: no value for its URL kwarg {kwarg!r}; teach tests/routes.py (urls_for) which "
            "row of a clinic it names"
        )
        self.route = route


# The path segment before an id -> the model (app_label.model_name) whose id it is.
SEGMENT_MODELS = {
    "patients": "clinic.patient",
    "episodes": "clinic.episodeofcare",
    "staff": "clinic.user",
    "api-tokens": "clinic.apitoken",
    "tokens": "clinic.apitoken",
    "red-flags": "intake.redflag",
    "intake-invitations": "intake.intakeinvitation",
    "intakes": "intake.intake",
    "assessments": "assessments.assessment",
    "findings": "assessments.finding",
    "plans": "plans.treatmentplan",
    "plan-visits": "plans.treatmentplan",
    "plan-items": "plans.planitem",
    "interventions": "plans.intervention",
    "visits": "scheduling.appointment",
    "appointments": "scheduling.appointment",
    "visit-notes": "notes.visitnote",
    "visit-note-states": "scheduling.appointment",
    "discharges": "notes.discharge",
    "discharge-documents": "notes.dischargedocument",
    "return-to-run-plans": "running.returntorun",
    "return-to-run": "running.returntorun",
    "decisions": "running.phasedecision",
    "run-program-templates": "plans.runprogramtemplate",
    "return-to-run-programs": "plans.runprogramtemplate",
    "run-files": "running.runfile",
    "runs": "running.run",
    "webhooks": "webhooks.webhookendpoint",
    "patient-changes": "scheduling.patientvisitchange",
    "Patient": "clinic.patient",
    "return-to-run-checks": "running.readinesscheck",
}
# Kwargs named after what they hold -> the model whose id (or attribute) they are.
KWARG_MODELS = {
    "patient_pk": ("clinic.patient", "pk"),
    "episode_pk": ("clinic.episodeofcare", "pk"),
    "assessment_pk": ("assessments.assessment", "pk"),
    "delivery_pk": ("webhooks.webhookdelivery", "pk"),
    "version_id": ("plans.planversion", "pk"),
    "number": ("plans.planversion", "number"),
    "type_pk": ("scheduling.appointmenttype", "pk"),
    "visit_id": ("scheduling.appointment", "pk"),
    "change_pk": ("clinic.contactchange", "pk"),
    "id": ("clinic.user", "pk"),  # the Django admin's password page of a staff member
    "clinician_pk": ("clinic.user", "pk"),  # (the hours pages name their clinician in _special)
    "upload_id": ("running.runfile", "pk"),
    "run_id": ("running.run", "pk"),
}
# Routes whose kwarg is a key the patient or staff member holds -> the kind of link in Side.links.
TOKEN_LINKS = {
    "intake_start": "intake",
    "intake_step": "intake",
    "intake_done": "intake",
    "portal_home": "portal",
    "portal_program": "portal",
    "portal_handout": "portal",
    "portal_check_in": "portal",
    "portal_logo": "portal",
    "calendar_feed": "calendar",
    "reminder_confirm": "reminder_confirm",
    "reminder_cancel": "reminder_cancel",
    "reminder_opt_out": "reminder_opt_out",
    "reminder_reschedule": "reminder_reschedule",
    "reminder_short": "reminder_short",
    "portal_visit_cancel": "portal",
    "portal_visit_reschedule": "portal",
    "portal_run_upload": "portal",
    "portal_run_upload_status": "portal",
    "portal_runs": "portal",
    "portal_run": "portal",
    "portal_run_morning": "portal",
    "password_reset_confirm": "password_token",
    "follow_up_answer": "follow_up",
}
# Kwargs that are not ids but choose a page: every value is tried.
CHOICES = {
    "step": lambda: [step.code for step in STEPS],
    "direction": lambda: ["up", "down"],
}
ID_KWARGS = {"pk", "object_id", "content_type_id", "uidb64", "resource_id", *KWARG_MODELS}


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _segment_before(pattern: str, kwarg: str) -> str:
    before = pattern.split(f"<int:{kwarg}>")[0] if f"<int:{kwarg}>" in pattern else pattern.split(f"(?P<{kwarg}>")[0]
    before = before.split(f"<path:{kwarg}>")[0]
    return [part for part in re.split(r"[/^]", before) if part][-1]


def _admin_model(route: Route) -> type[models.Model] | None:
    match = re.match(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z_]+)/", route.pattern)
    if match is None:
        return None
    try:
        return apps.get_model(match["app"], match["model"])
    except LookupError:
        return None


# A clinician's hours pages -> the model of the row the route's pk names (None: no pk).
HOURS_ROUTES = {
    "working_hours_clinician": None,
    "time_off_add": None,
    "time_off_edit": "scheduling.timeoff",
    "time_off_remove": "scheduling.timeoff",
    "hours_exception_remove": "scheduling.hoursexception",
}


def _special(route: Route, side: Side, a: Side) -> list[dict] | None:
    """Routes whose kwargs depend on each other; None for every other route."""
    name = route.name or ""
    if name == "library_edit":
        return [{"kind": kind, "pk": side.row(model).pk} for kind, (model, _, _) in LIBRARY_KINDS.items()]
    if name == "library_add":
        return [{"kind": kind} for kind in LIBRARY_KINDS]
    if name == "reminder_wording_edit":
        return [{"kind": kind} for kind in WordingKind.values]
    if name == "reminder_wording_edit_type":
        return [{"kind": kind, "type_pk": side.appointmenttype.pk} for kind in PER_VISIT_TYPE]
    if name == "fhir-read":
        return [{"resource_type": kind, "resource_id": value} for kind, value in _fhir_ids(side)]
    if name == "fhir-everything":
        return [{"pk": side.patient.pk}]
    if name == "fhir-binary":
        return [{"resource_id": side.handout.pk}]
    if name == "fhir-unknown":
        return [{"rest": "Unknown/1"}]
    if name == "admin:view_on_site":
        return [
            {"content_type_id": ContentType.objects.get_for_model(model).pk, "object_id": row.pk}
            for model, row in side.rows.items()
        ]
    if name == "admin:app_list":
        return [{"app_label": label} for label in sorted({m._meta.app_label for m in admin.site._registry})]
    if route.pattern.endswith("(?P<url>.*)$"):
        return [{"url": "no-such-page/"}]
    if name in HOURS_ROUTES:
        clinician_pk = side.users["clinician"].pk
        row = HOURS_ROUTES[name]
        return [{"clinician_pk": clinician_pk, **({} if row is None else {"pk": side.row(_model(row)).pk})}]
    if name == "password_reset_confirm":
        return [{"uidb64": side.links["password_uid"], "token": a.links["password_token"]}]
    return None


def _fhir_ids(side: Side) -> list[tuple[str, str]]:
    return [
        ("Patient", side.patient.pk),
        ("EpisodeOfCare", side.episodeofcare.pk),
        ("QuestionnaireResponse", side.questionnairescore.pk),
        ("Condition", side.finding.pk),
        ("CarePlan", side.treatmentplan.pk),
        ("Appointment", side.appointment.pk),
        ("DocumentReference", side.handout.pk),
        ("Flag", side.redflag.pk),
        ("Encounter", side.appointment.pk),
        ("Procedure", side.noteitem.pk),
        ("Observation", f"rom-{side.rommeasurement.pk}"),
        ("Observation", f"score-{side.questionnairescore.pk}"),
        ("Observation", f"fms-composite-{side.assessment.pk}"),
        ("Observation", f"run-{side.run.pk}"),
    ]


def _kwarg_value(route: Route, kwarg: str, side: Side, a: Side):
    if kwarg == "token":
        kind = TOKEN_LINKS.get(route.name or "")
        if kind is None:
            raise UnfilledRoute(route, kwarg)
        return [a.links[kind]]
    if kwarg in CHOICES:
        return CHOICES[kwarg]()
    if kwarg in KWARG_MODELS:
        label, attribute = KWARG_MODELS[kwarg]
        return [getattr(side.row(_model(label)), attribute)]
    if kwarg == "object_id":
        model = _admin_model(route)
        if model is None or model not in side.rows:
            raise UnfilledRoute(route, kwarg)
        return [side.row(model).pk]
    if kwarg == "pk":
        label = SEGMENT_MODELS.get(_segment_before(route.pattern, kwarg))
        if label is None:
            raise UnfilledRoute(route, kwarg)
        return [side.row(_model(label)).pk]
    raise UnfilledRoute(route, kwarg)


def _substitute(pattern: str, values: dict) -> str:
    path = pattern
    for name, value in values.items():
        path = re.sub(rf"\(\?P<{name}>(?:[^()]|\([^()]*\))*\)", str(value), path)
        path = re.sub(rf"<(?:[a-z_]+:)?{name}>", str(value), path)
    path = path.replace("^", "").replace("\\Z", "")
    path = re.sub(r"(?<!\\)\$", "", path)
    return "/" + re.sub(r"\\(.)", r"\1", path)


def kwargs_for(route: Route, world: World, key: str) -> list[dict]:
    """The URL kwargs of the route's concrete URLs in clinic ``key``; [] for clinic B when the
    route names no id (its only URLs are clinic A's)."""
    side, a = world.side(key), world.a
    if key == "b" and not set(route.kwargs) & ID_KWARGS:
        return []
    special = _special(route, side, a)
    if special is not None:
        return special
    combos = [{}]
    for kwarg in route.kwargs:
        values = _kwarg_value(route, kwarg, side, a)
        combos = [{**combo, kwarg: value} for combo in combos for value in values]
    return combos


def urls_for(route: Route, world: World, key: str) -> list[str]:
    """The route's concrete URLs with clinic ``key``'s ids: in the path (see ``kwargs_for``) and
    in the query of routes that read ids from it (see ``queries_for``)."""
    paths = [_substitute(route.pattern, values) for values in kwargs_for(route, world, key)]
    queries = queries_for(route, world, key)
    if not queries:
        return paths
    bases = paths or [_substitute(route.pattern, values) for values in kwargs_for(route, world, "a")]
    return [*paths, *(f"{base}?{query}" for base in bases for query in queries)]


def queries_for(route: Route, world: World, key: str) -> list[str]:
    """Query strings naming clinic ``key``'s rows, on routes that read ids from the query: the
    day and week views, booking, availability, the clinic's audit trail and its export, every
    model filter of an API list, the Django admin's changelists (search, raw-id popup), add forms
    (pre-filled foreign keys) and autocomplete."""
    side = world.side(key)
    clinician = side.users["clinician"]
    day = timezone.localtime(side.appointment.starts_at, side.clinic.zone).date().isoformat()
    name = route.name or ""
    if name in {"schedule_day", "schedule_week"}:
        return [urlencode({"day": day}), urlencode({"day": day, "clinician": clinician.pk})]
    if name == "schedule_book":
        return [urlencode({"clinician": clinician.pk, "start": side.appointment.starts_at.isoformat()})]
    if name == "api-appointment-availability":
        return [urlencode({"clinician": clinician.pk, "day": day})]
    if name in {"clinic_audit", "clinic_audit_export"}:
        return [urlencode({"staff": clinician.pk}), urlencode({"patient": side.patient.pk})]
    if route.viewset is not None and name.endswith("-list"):
        return [urlencode({field_name: value}) for field_name, value in filter_values(route.viewset, side)]
    if name == "admin:autocomplete":
        return [urlencode({**query, "term": ""}) for query in _autocomplete_queries()]
    model = _admin_model(route)
    if model is None or model not in admin.site._registry:
        return []
    if name.endswith("_changelist"):
        # The search term is the marker less its last letter: it finds clinic B's rows, and the
        # page echoing the term back is not taken for a leak.
        return [urlencode({"q": MARKER[:-1]}), urlencode({"_popup": 1, "_to_field": "id"})]
    if name.endswith("_add"):
        return [
            urlencode({f.name: side.row(f.related_model).pk})
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in side.rows
        ]
    return []


def _autocomplete_queries() -> list[dict]:
    """The admin's autocomplete lookups: one per autocomplete field of every admin and inline."""
    queries = []
    for model, model_admin in admin.site._registry.items():
        inlines = [inline(model, admin.site) for inline in model_admin.inlines]
        for owner in (model_admin, *inlines):
            for field_name in owner.autocomplete_fields:
                queries.append(
                    {
                        "app_label": owner.model._meta.app_label,
                        "model_name": owner.model._meta.model_name,
                        "field_name": field_name,
                    }
                )
    return queries


def filter_values(viewset, side: Side) -> list[tuple[str, int]]:
    """(filter name, id of the side's row) for every model filter of a viewset's list."""
    view = viewset()
    filterset = DjangoFilterBackend().get_filterset_class(view, viewset.queryset)
    if filterset is None:
        return []
    values = []
    for name, declared in filterset.base_filters.items():
        model = filterset._meta.model
        for part in declared.field_name.split("__"):
            related = model._meta.get_field(part).related_model
            if related is None:
                break
            model = related
        else:
            if model in side.rows:
                values.append((name, side.row(model).pk))
    return values


# --- Callers ----------------------------------------------------------------------------------------

STAFF_BACKEND = "clinic.backends.StaffBackend"
SESSION_ROLES = ("clinician", "front_desk", "clinic_admin")
TOKEN_ROLES = ("token_clinician", "token_clinic_admin")
# Someone without a session or token: a patient opening the links they were sent.
PATIENT = "patient"
CALLERS = (*SESSION_ROLES, *TOKEN_ROLES, PATIENT)


def client_for(world: World, caller: str) -> Client:
    """A test client calling as one of clinic A's ``CALLERS``: a role's session, the API token of
    a role's staff member (``token_<role>``; the clinician's has the clinical scope), or nobody."""
    if caller.startswith("token_"):
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.a.api_tokens[caller.removeprefix('token_')]}")
    client = Client()
    if caller != PATIENT:
        client.force_login(world.a.users[caller], backend=STAFF_BACKEND)
    return client


def snapshot(clinic) -> dict[str, list[dict]]:
    """Every row of the clinic, as values, to show that a refused request changed nothing."""
    return {model._meta.label_lower: list(rows.order_by("pk").values()) for model, rows in clinic_rows(clinic)}


# --- Reading a response -----------------------------------------------------------------------------


def response_text(response) -> str:
    """A response's body as text: PDFs as their extracted text, anything else decoded; with
    the headers a leak could hide in (Location, Content-Disposition)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = " ".join(f"{name}: {value}" for name, value in response.headers.items())
    if body.startswith(b"%PDF"):
        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    else:
        text = body.decode("utf-8", errors="replace")
    return f"{headers}\n{text}"


def leaks(text: str) -> list[str]:
    """The clinic-B markers in ``text``, each with a little context."""
    found = []
    lowered = text.lower()
    for needle in (MARKER, B_BIRTH_DATE.isoformat(), B_BIRTH_DATE.strftime("%m/%d/%Y")):
        start = lowered.find(needle)
        while start != -1 and len(found) < 5:
            found.append(text[max(0, start - 60) : start + 60].replace("\n", " "))
            start = lowered.find(needle, start + 1)
    return found
