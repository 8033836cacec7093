"""Every API route for every role: the allowed/forbidden matrix of the README's "Roles and
access" table, walked over the operations the router really serves.

A route added to the router without a row in EXPECTED fails
``test_every_api_operation_has_a_row_in_the_matrix``: whoever adds it decides who may call it.

"Allowed" is a 2xx, or a 400 for a body that got past the permission checks (the matrix sends
the least body a route takes, so a refusal of the input is not a refusal of the caller).
"Forbidden" is a 403; anonymous callers get 403 too, as DRF answers when session
authentication comes first.
"""

from __future__ import annotations

import datetime
import functools
import re

import pytest
from django.test import Client
from django.utils import timezone

from assessments import services as assessment_services
from clinic import api_tokens
from clinic.permissions import Role
from clinic.urls import router
from clinic.webhooks import rules as webhook_rules
from clinic.webhooks.models import WebhookEndpoint
from intake import services as intake_services
from intake.models import Intake, IntakeStatus
from notes import discharge as discharge_services
from notes import rules as note_rules
from notes import services as note_services
from plans import services as plan_services
from plans.models import Prong, RunProgramTemplate
from running.models import ReturnToRun
from running.services import runs as run_services
from running.services import uploads as run_file_uploads
from tests.assessments.helpers import login, record
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory
from tests.running.files_fixtures import fit_upload
from tests.running.readiness_fixtures import record_check

ROLES = ("anonymous", "clinician", "front_desk", "clinic_admin")
STAFF_ROLES = ROLES[1:]

A = "allowed"
F = "forbidden"


def _row(clinician: str, front_desk: str, clinic_admin: str) -> dict[str, str]:
    return {"anonymous": F, "clinician": clinician, "front_desk": front_desk, "clinic_admin": clinic_admin}


DEMOGRAPHICS_VIEW = _row(A, A, A)
DEMOGRAPHICS_EDIT = _row(A, A, F)
CLINICAL = _row(A, F, F)
SCHEDULE = _row(A, A, F)
LIBRARY_VIEW = _row(A, F, A)
CLINIC_ADMIN_ONLY = _row(F, F, A)
STAFF_ADMIN = _row(F, F, A)
INTAKE_LINKS = _row(A, A, F)

# (path as OpenAPI writes it, method) -> outcome per role.
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("/api/", "get"): _row(A, A, A),
    ("/api/patients/", "get"): DEMOGRAPHICS_VIEW,
    ("/api/patients/", "post"): DEMOGRAPHICS_EDIT,
    ("/api/patients/{id}/", "get"): DEMOGRAPHICS_VIEW,
    ("/api/patients/{id}/", "put"): DEMOGRAPHICS_EDIT,
    ("/api/patients/{id}/", "patch"): DEMOGRAPHICS_EDIT,
    ("/api/patients/search/", "post"): DEMOGRAPHICS_VIEW,
    ("/api/episodes/", "get"): DEMOGRAPHICS_VIEW,
    ("/api/episodes/", "post"): DEMOGRAPHICS_EDIT,
    ("/api/episodes/{id}/", "get"): DEMOGRAPHICS_VIEW,
    ("/api/episodes/{id}/", "put"): DEMOGRAPHICS_EDIT,
    ("/api/episodes/{id}/", "patch"): DEMOGRAPHICS_EDIT,
    # README: intake links are sent, re-sent, revoked and their status seen by clinicians and
    # the front desk; "—" for the clinic admin.
    ("/api/intake-invitations/", "get"): INTAKE_LINKS,
    ("/api/intake-invitations/", "post"): INTAKE_LINKS,
    ("/api/intake-invitations/{id}/", "get"): INTAKE_LINKS,
    ("/api/intake-invitations/{id}/revoke/", "post"): INTAKE_LINKS,
    ("/api/intake-invitations/{id}/resend/", "post"): INTAKE_LINKS,
    ("/api/intakes/", "get"): CLINICAL,
    ("/api/intakes/{id}/", "get"): CLINICAL,
    ("/api/assessments/", "get"): CLINICAL,
    ("/api/assessments/", "post"): CLINICAL,
    ("/api/assessments/{id}/", "get"): CLINICAL,
    ("/api/assessments/{id}/", "patch"): CLINICAL,
    ("/api/assessments/{id}/complete/", "post"): CLINICAL,
    ("/api/findings/", "get"): CLINICAL,
    ("/api/findings/", "post"): CLINICAL,
    ("/api/findings/{id}/", "get"): CLINICAL,
    ("/api/findings/{id}/dismiss/", "post"): CLINICAL,
    ("/api/interventions/", "get"): LIBRARY_VIEW,
    ("/api/interventions/{id}/", "get"): LIBRARY_VIEW,
    ("/api/plans/", "get"): CLINICAL,
    ("/api/plans/", "post"): CLINICAL,
    ("/api/plans/{id}/", "get"): CLINICAL,
    ("/api/plans/{id}/", "patch"): CLINICAL,
    ("/api/plans/{id}/items/", "post"): CLINICAL,
    ("/api/plans/{id}/sign/", "post"): CLINICAL,
    ("/api/plans/{id}/versions/", "get"): CLINICAL,
    ("/api/plan-items/{id}/", "get"): CLINICAL,
    ("/api/plan-items/{id}/", "put"): CLINICAL,
    ("/api/plan-items/{id}/", "patch"): CLINICAL,
    ("/api/plan-items/{id}/", "delete"): CLINICAL,
    # README: the front desk has a plan's "visit frequency and duration only": read from the
    # signed version, as the episode page shows it, to book the plan's visits.
    ("/api/plan-visits/", "get"): SCHEDULE,
    ("/api/plan-visits/{id}/", "get"): SCHEDULE,
    ("/api/appointments/", "get"): SCHEDULE,
    ("/api/appointments/", "post"): SCHEDULE,
    ("/api/appointments/{id}/", "get"): SCHEDULE,
    ("/api/appointments/{id}/reschedule/", "post"): SCHEDULE,
    ("/api/appointments/{id}/cancel/", "post"): SCHEDULE,
    ("/api/appointments/{id}/status/", "post"): SCHEDULE,
    ("/api/appointments/availability/", "get"): SCHEDULE,
    # README: visit notes are clinicians' (write and sign); the front desk sees only whether a
    # visit has a signed note, to check it out; the clinic admin sees none of it.
    ("/api/visit-notes/", "get"): CLINICAL,
    ("/api/visit-notes/", "post"): CLINICAL,
    ("/api/visit-notes/{id}/", "get"): CLINICAL,
    ("/api/visit-notes/{id}/", "patch"): CLINICAL,
    ("/api/visit-notes/{id}/sign/", "post"): CLINICAL,
    ("/api/visit-notes/{id}/addenda/", "get"): CLINICAL,
    ("/api/visit-notes/{id}/addenda/", "post"): CLINICAL,
    ("/api/visit-note-states/", "get"): SCHEDULE,
    ("/api/visit-note-states/{id}/", "get"): SCHEDULE,
    # A runner's return-to-run plan and the rule's proposals are clinical; the walk-run programs are library data.
    ("/api/return-to-run-plans/", "get"): CLINICAL,
    ("/api/return-to-run-plans/{id}/", "get"): CLINICAL,
    ("/api/return-to-run-plans/{id}/confirm/", "post"): CLINICAL,
    ("/api/return-to-run-plans/{id}/override/", "post"): CLINICAL,
    ("/api/run-program-templates/", "get"): LIBRARY_VIEW,
    ("/api/run-program-templates/{id}/", "get"): LIBRARY_VIEW,
    # Runners' device files: clinical (their runs), clinicians only.
    ("/api/run-files/", "get"): CLINICAL,
    ("/api/run-files/", "post"): CLINICAL,
    ("/api/run-files/{id}/", "get"): CLINICAL,
    ("/api/run-files/{id}/decide/", "post"): CLINICAL,
    ("/api/runs/", "get"): CLINICAL,
    ("/api/runs/", "post"): CLINICAL,
    ("/api/runs/{id}/", "get"): CLINICAL,
    ("/api/webhooks/", "get"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/", "post"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/", "get"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/", "put"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/", "patch"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/", "delete"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/rotate-secret/", "post"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/ping/", "post"): CLINIC_ADMIN_ONLY,
    ("/api/webhooks/{id}/deliveries/", "get"): CLINIC_ADMIN_ONLY,
    ("/api/tokens/", "get"): STAFF_ADMIN,
    ("/api/tokens/", "post"): STAFF_ADMIN,
    ("/api/tokens/{id}/", "get"): STAFF_ADMIN,
    ("/api/tokens/{id}/revoke/", "post"): STAFF_ADMIN,
    ("/api/discharges/", "get"): CLINICAL,
    ("/api/discharges/", "post"): CLINICAL,
    ("/api/discharges/{id}/", "get"): CLINICAL,
    # Return-to-run checks are clinical records: clinicians only.
    ("/api/return-to-run-checks/", "get"): CLINICAL,
    ("/api/return-to-run-checks/", "post"): CLINICAL,
    ("/api/return-to-run-checks/{id}/", "get"): CLINICAL,
}

# Actions that read their body before looking the object up: with a valid body, the lookup
# (and so the other clinic's 404) is what answers.
BODIES: dict[tuple[str, str], dict] = {
    ("/api/appointments/{id}/reschedule/", "post"): {
        "starts_at": (timezone.now() + datetime.timedelta(days=3)).isoformat(),
        "override_reason": "Matrix test",
    },
    ("/api/appointments/{id}/cancel/", "post"): {"reason": "Patient called"},
    ("/api/appointments/{id}/status/", "post"): {"status": "checked_in"},
    ("/api/findings/{id}/dismiss/", "post"): {"reason": "Not borne out"},
}


def _served_operations() -> set[tuple[str, str]]:
    """Every (path, method) the API router serves, paths written as OpenAPI writes them."""
    served: set[tuple[str, str]] = set()
    for pattern in router.urls:
        regex = pattern.pattern.regex
        if "format" in regex.groupindex:
            continue
        route = re.sub(r"\(\?P<pk>[^)]*\)", "{id}", regex.pattern).removesuffix("\\Z")
        path = "/api/" + route.strip("^$")
        actions = getattr(pattern.callback, "actions", None)
        if actions:
            methods = set(actions)
        else:
            # The API root is a plain view: the methods are its handlers.
            view = pattern.callback.cls
            methods = {name for name in view.http_method_names if hasattr(view, name)}
        # DRF answers HEAD and OPTIONS wherever it answers the others; they carry no rule of their own.
        served.update((path, method) for method in methods - {"head", "options"})
    return served


def test_every_api_operation_has_a_row_in_the_matrix():
    served = _served_operations()

    assert ("/api/patients/search/", "post") in served
    assert sorted(served - set(EXPECTED)) == [], "API operations with no row in EXPECTED"
    assert sorted(set(EXPECTED) - served) == [], "rows in EXPECTED for operations the API no longer serves"


def test_every_row_names_every_role_and_an_outcome():
    for operation, outcomes in EXPECTED.items():
        assert set(outcomes) == set(ROLES), operation
        assert set(outcomes.values()) <= {A, F}, operation


# --- The records a route needs, in one clinic ---------------------------------------------------


_RESOURCE = re.compile(r"^/api/([^/]+)/")
# The router prefix of a detail route -> the World record its id names.
RECORD_OF = {
    "patients": "patient",
    "episodes": "episode",
    "intake-invitations": "invitation",
    "intakes": "intake",
    "assessments": "assessment",
    "findings": "finding",
    "interventions": "intervention",
    "plans": "plan",
    "plan-items": "plan_item",
    "plan-visits": "plan",
    "appointments": "appointment",
    "visit-notes": "visit_note",
    "visit-note-states": "appointment",
    "return-to-run-plans": "return_to_run",
    "run-program-templates": "run_program",
    "runs": "run",
    "webhooks": "webhook_endpoint",
    "tokens": "api_token",
    "discharges": "discharge",
    "return-to-run-checks": "readiness_check",
    "run-files": "run_file",
}


class World:
    """One clinic's records, each made the first time a route asks for it."""

    def __init__(self, clinic):
        self.clinic = clinic
        self.lead = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])

    @functools.cached_property
    def patient(self):
        return PatientFactory(clinic=self.clinic)

    @functools.cached_property
    def episode(self):
        return EpisodeFactory(patient=self.patient, lead_clinician=self.lead)

    @functools.cached_property
    def invitation(self):
        return intake_services.invitation_send(actor=self.lead, episode=self.episode, channel="email")

    @functools.cached_property
    def intake(self):
        # Its own episode: the invitation's episode has an intake still to be answered.
        return Intake.objects.create(
            episode=EpisodeFactory(patient=self.patient, lead_clinician=self.lead),
            status=IntakeStatus.SUBMITTED,
            submitted_at=timezone.now(),
            answers={"complaint": {"pain_now": 4}},
        )

    @functools.cached_property
    def assessment(self):
        return record(login(Client(), self.lead), self.episode)

    @functools.cached_property
    def finding(self):
        finding = self.assessment.findings.first()
        if finding is None:
            finding = assessment_services.finding_add(
                actor=self.lead, assessment=self.assessment, label="Weak hip abductors", side="right", reason="Exam"
            )
        return finding

    @functools.cached_property
    def plan(self):
        """A plan with items and one signed version."""
        plan = plan_services.plan_draft(actor=self.lead, assessment=self.assessment)
        plan = plan_services.plan_update(
            actor=self.lead,
            plan=plan,
            missing_prong_reasons={prong.value: "Not needed yet" for prong in Prong},
        )
        plan_services.plan_sign(actor=self.lead, plan=plan)
        return plan

    @functools.cached_property
    def plan_item(self):
        return self.plan.items.first()

    @functools.cached_property
    def intervention(self):
        return self.plan_item.intervention

    @functools.cached_property
    def appointment(self):
        return AppointmentFactory(episode=self.episode, clinician=self.lead)

    @functools.cached_property
    def run(self):
        return run_services.log_run(
            episode=self.episode,
            local_date=self.episode.opened_on,
            distance_m=5000,
            moving_s=1800,
            feel=run_services.Feel(pain_during=2, rpe=3, swelling_or_stiffness=False),
        )

    @functools.cached_property
    def visit_note(self):
        """The visit's note, signed: its addenda may be listed and added."""
        note = note_services.note_open(actor=self.lead, appointment=self.appointment)
        note_services.note_save(
            actor=self.lead,
            note=note,
            values={"response": "better", "next_visit": "Repeat", "total_minutes": 20, "timed_minutes": 10},
            lines=[
                (
                    None,
                    note_rules.LineDraft(
                        prong="exercise", name="Bridge", region="Hips", technique="Supine", sets=3, reps="10"
                    ),
                )
            ],
        )
        return note_services.note_sign(actor=self.lead, note=note)

    @functools.cached_property
    def discharge(self):
        closing = EpisodeFactory(patient=self.patient, lead_clinician=self.lead)
        return discharge_services.discharge_episode(actor=self.lead, episode=closing, reason="goals_met")

    @functools.cached_property
    def readiness_check(self):
        return record_check(self.lead, self.episode)

    @functools.cached_property
    def run_program(self):
        """The clinic's own version of the standard walk-run program (shipped ones belong to every clinic)."""
        admin = UserFactory(clinic=self.clinic, roles=[Role.CLINIC_ADMIN])
        shipped = RunProgramTemplate.objects.get(clinic=None, key="standard-walk-run", version=1)
        return plan_services.run_program_save(
            actor=admin, base=shipped, name="Walk-run", phases=shipped.phases, rule_texts=[]
        )

    @functools.cached_property
    def return_to_run(self):
        version = self.plan.versions.get()
        return ReturnToRun.objects.create(
            episode=self.plan.episode,
            plan_version=version,
            phases=self.run_program.phases,
            started_on=timezone.localdate(),
            started_by=self.lead,
        )

    @functools.cached_property
    def webhook_endpoint(self):
        return WebhookEndpoint.objects.create(
            clinic=self.clinic,
            url="https://receiver.example.test/hooks",
            event_types=["plan.signed"],
            secret=webhook_rules.new_secret(),
            created_by=self.lead,
        )

    @functools.cached_property
    def run_file(self):
        """A runner's device file, queued (its reading is not needed for access)."""
        return run_file_uploads.receive_file(self.episode, fit_upload())

    @functools.cached_property
    def api_token(self):
        admin = UserFactory(clinic=self.clinic, roles=[Role.CLINIC_ADMIN])
        return api_tokens.api_token_create(actor=admin, owner=self.lead, name="World")[0]

    def object_for(self, path: str):
        return getattr(self, RECORD_OF[_RESOURCE.match(path).group(1)])

    def url(self, path: str) -> str:
        if "{id}" not in path:
            return path
        return path.replace("{id}", str(self.object_for(path).pk))


def _body(world: World, path: str, method: str) -> dict:
    if (path, method) in BODIES:
        return BODIES[path, method]
    # The availability query needs a clinician and a day to get past validation to the rules.
    if path == "/api/appointments/availability/":
        return {"clinician": world.lead.pk, "day": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()}
    return {}


def _call(client, world: World, path: str, method: str, **headers):
    url = world.url(path)
    data = _body(world, path, method)
    if method == "get":
        return client.get(url, data, headers=headers)
    return getattr(client, method)(url, data, content_type="application/json", headers=headers)


def _outcome(status: int) -> str:
    if 200 <= status < 300 or status == 400:
        return A
    if status == 403:
        return F
    return f"unexpected {status}"


@pytest.fixture
def world(clinic):
    return World(clinic)


@pytest.fixture
def foreign_world(other_clinic):
    return World(other_clinic)


def _member(request, role: str):
    return request.getfixturevalue(role)


# Found by this matrix: these permission classes read ``request.user.clinic_id`` before
# checking that anyone is signed in, so an anonymous call raises instead of answering 403.
# Strict: once the code answers 403, these cases pass and the mark must go.
def _cases(roles):
    for (path, method), outcomes in sorted(EXPECTED.items()):
        for role in roles:
            yield pytest.param(
                path,
                method,
                role,
                outcomes[role],
                id=f"{method.upper()} {path} {role}",
            )


@pytest.mark.parametrize(("path", "method", "role", "expected"), list(_cases(ROLES)))
def test_each_role_gets_its_outcome_on_each_operation(client, request, world, path, method, role, expected):
    if role != "anonymous":
        client.force_login(_member(request, role))

    response = _call(client, world, path, method)

    assert _outcome(response.status_code) == expected, response.content[:300]


def _reads():
    for (path, method), outcomes in sorted(EXPECTED.items()):
        if method == "get":
            for role in STAFF_ROLES:
                yield pytest.param(path, role, outcomes[role], id=f"GET {path} {role}")


@pytest.mark.parametrize(("path", "role", "expected"), list(_reads()))
def test_an_api_token_gets_its_owners_outcome_on_each_read(client, request, world, path, role, expected):
    owner = _member(request, role)
    # The clinical scope where the owner may have it (their own token, which only they can give
    # that scope), so the owner's roles alone decide.
    clinical = role == "clinician"
    _, raw = api_tokens.api_token_create(actor=owner, owner=owner, name="Matrix", clinical_scope=clinical)

    response = _call(client, world, path, "get", Authorization=f"Bearer {raw}")

    assert _outcome(response.status_code) == expected, response.content[:300]


def _detail_cases():
    for (path, method), outcomes in sorted(EXPECTED.items()):
        if "{id}" in path:
            for role in STAFF_ROLES:
                yield pytest.param(path, method, role, outcomes[role], id=f"{method.upper()} {path} {role}")


@pytest.mark.parametrize(("path", "method", "role", "expected"), list(_detail_cases()))
def test_another_clinics_record_is_not_found(client, request, foreign_world, path, method, role, expected):
    """A role the route allows gets 404, as for an id that does not exist; a role it refuses
    gets the same 403 as for its own clinic's record, so neither reveals that the record exists."""
    client.force_login(_member(request, role))

    response = _call(client, foreign_world, path, method)

    assert response.status_code == (404 if expected == A else 403), response.content[:300]
