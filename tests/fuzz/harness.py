"""The API fuzz: schemathesis against the API's own OpenAPI schema, as each staff role, on a
seeded clinic next to a second clinic whose every text carries a marker.

Three phases, each on every operation of the schema (nothing is listed by hand, so an endpoint
is fuzzed as soon as the schema shows it):

- **coverage**: schemathesis's deterministic boundary and negative values for every parameter
  and body field (lengths at and past the limits, numbers at and past the bounds, wrong types,
  missing required fields, unexpected methods), on the clinic's real records, for the
  operations the role may use; a value is sent once for all the fields declared alike (the
  twenty LEFS items take the same values through the same serializer field), and without the
  generated If-Match (an empty ETag, which would make every write a 412 that never reads the
  body) but on the first case;
- **fuzzing**: ``FUZZ_EXAMPLES`` Hypothesis cases per operation (25 unless set; an operation
  the role may not use gets ``FUZZ_REFUSED_EXAMPLES``, 17 unless set): schema-valid and
  schema-violating ones, on real ids of our clinic, on the other clinic's ids and on made-up
  ids; bodies that name a record or a staff member get real ones of either clinic too;
- **stateful**: schemathesis's state machine over the schema's OpenAPI links (see
  ``clinic.api_schema.add_links``): ``FUZZ_SCENARIOS`` sequences of calls in which created
  patients, episodes, assessments, plans and appointments flow into later calls.

Every response is checked: no 5xx; status code, content type, body and documented headers as
the schema says; an operation that answers 2xx with credentials refuses the same call without
them and with invalid ones (``ignored_auth``); no response carries the other clinic's marker;
in scenarios, a created record is found again and a deleted one is gone
(``ensure_resource_availability``, ``use_after_free``). Not ``negative_data_rejection``: DRF reads
a number sent for a text field as its digits, which the schema calls invalid but harms nothing.

Hypothesis runs derandomized, so CI sends the same cases every run; a failure prints the curl
command of the request, the calls of its scenario and the command that sends the same cases
again.

The app is called in-process through WSGI, in the test's own transaction (each call in a
savepoint, each scenario too).
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from clinic import api_tokens
from clinic.permissions import Role
from clinic.webhooks import rules as webhook_rules
from clinic.webhooks.models import WebhookEndpoint
from intake.models import Intake, IntakeInvitation, IntakeStatus
from notes import discharge as discharge_services
from notes import rules as note_rules
from notes import services as note_services
from plans import services as plan_services
from plans.models import Prong, RunProgramTemplate
from running.devices.fit_writer import run_fit
from running.models import PhaseDecision, ReturnToRun
from running.services import runs as run_services
from running.services import uploads as run_file_uploads
from tests.assessments.helpers import login, record
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory
from tests.fuzz import report
from tests.intake.helpers import complete_intake, send_invitation
from tests.running.files_fixtures import gpx as run_gpx
from tests.running.files_fixtures import upload as run_file_upload
from tests.running.readiness_fixtures import record_check

# Cases per operation, role and phase (fuzzing) and scenarios per role (stateful). The CI
# defaults keep the whole suite well under 15 minutes on 2 cores; raise them for a deeper run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# An operation the role may not use answers every case with the same 403 (the role matrix,
# tests/clinic/test_api_role_matrix.py, holds who may): fewer cases show it refuses whatever is
# sent, and the roles that may use it send the full number. 17 for each of the three roles keeps
# even an operation no role may use (making API tokens with a token) at 50 cases or more.
REFUSED_EXAMPLES = min(MAX_EXAMPLES, int(os.environ.get("FUZZ_REFUSED_EXAMPLES", "17")))
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "25"))
STEPS = int(os.environ.get("FUZZ_STEPS", "8"))


def rerun_command(node_id: str) -> str:
    """The command that sends the same cases again (Hypothesis runs derandomized)."""
    return (
        f"FUZZ_EXAMPLES={MAX_EXAMPLES} FUZZ_REFUSED_EXAMPLES={REFUSED_EXAMPLES} FUZZ_SCENARIOS={SCENARIOS} "
        f"FUZZ_STEPS={STEPS} .venv/bin/pytest -n 0 '{node_id}'"
    )


# The role's token is the only credential sent (the schema's auth, below): no generated session
# cookie or token next to it. Requests without credentials and with wrong ones are what
# ignored_auth sends, on every operation.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})

ROLES = {"clinician": Role.CLINICIAN, "front_desk": Role.FRONT_DESK, "clinic_admin": Role.CLINIC_ADMIN}

# The operations each fuzz module takes, by path prefix, so that pytest-xdist spreads them over
# its workers. The last group is everything else: a new endpoint is always in one.
GROUPS = {
    "records": ("/api/patients/", "/api/episodes/", "/api/intake-invitations/", "/api/intakes/"),
    "assessments": ("/api/assessments/", "/api/findings/"),
    "plans": ("/api/plans/", "/api/plan-", "/api/interventions/"),
    "notes": ("/api/visit-note",),
    "readiness": ("/api/return-to-run-checks/",),
    "return_to_run": ("/api/return-to-run-plans/", "/api/run-program-templates/"),
    "run_files": ("/api/run-files/",),
    "runs": ("/api/runs/",),
    "schedule_and_admin": (),
}

# The other clinic's distinctive word, in every text it has: none may ever reach our clinic.
MARKER = "Quendolyx"

# Body fields that name a record or a staff member, and where the seeded ids of each are kept.
_REFERENCES = {
    "patient": "patients",
    "episode": "episodes",
    "assessment": "assessments",
    "appointment": "appointments",
    "intervention": "interventions",
    "clinician": "clinicians",
    "lead_clinician": "clinicians",
    "owner": "staff",
}
_RESOURCE = re.compile(r"^/api/([^/]+)/\{id\}/")


# --- The seeded clinics -----------------------------------------------------------------------


@dataclass
class World:
    """Our clinic's records and the other clinic's, by router prefix (and ``clinicians`` and
    ``staff`` for people)."""

    clinic: object
    admin: object
    ids: dict[str, list[int]]
    foreign_ids: dict[str, list[int]]
    tokens: Iterator[int] = field(default_factory=itertools.count)

    def member(self, role: str):
        """A member of our clinic with ``role`` (the admin for clinic_admin)."""
        return self.admin if role == "clinic_admin" else UserFactory(clinic=self.clinic, roles=[ROLES[role]])

    def token_for(self, member) -> str:
        """A fresh API token of ``member``, made by them (only the owner gives the clinical scope),
        clinical if their role may see clinical records."""
        _, raw = api_tokens.api_token_create(
            actor=member,
            owner=member,
            name=f"Schemathesis {next(self.tokens)}",
            clinical_scope=member.has_perm("clinic.view_clinical_record"),
        )
        return raw


def _seed_clinic(clinic, *, mark: str = "") -> dict[str, list[int]]:
    """A realistic clinic: patients and episodes, a submitted intake and a link still pending, a
    completed assessment with findings and a draft one, a signed plan and a draft, booked visits,
    a signed visit note with an addendum and a draft one, a webhook endpoint and an API token.
    ``mark`` ends each free text (the other clinic's marker).
    Returns the ids per router prefix, for the detail routes."""

    def text(words: str) -> str:
        return f"{words} {mark}".strip()

    lead = UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name=text("Dana Lead"))
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], full_name=text("Avery Admin"))
    patients = [PatientFactory(clinic=clinic, first_name=text("Robin"), last_name=text(f"Runner{n}")) for n in range(3)]
    episodes = [
        EpisodeFactory(patient=patient, lead_clinician=lead, presenting_complaint=text("Hip pain after long runs"))
        for patient in patients
    ]
    submitted, pending, treated = episodes

    complete_intake(Client(), send_invitation(submitted, actor=lead))
    send_invitation(pending, actor=lead, channel="sms")
    assessment = record(login(Client(), lead), treated)
    draft_assessment = record(login(Client(), lead), pending, complete=False)
    signed = plan_services.plan_draft(actor=lead, assessment=assessment)
    signed = plan_services.plan_update(
        actor=lead,
        plan=signed,
        goals=[text("Run 10 km without pain")],
        missing_prong_reasons={prong.value: text("Not needed yet") for prong in Prong},
    )
    # The clinic's own walk-run program in the signed plan: a runner in phase 1 with a proposal waiting.
    shipped = RunProgramTemplate.objects.get(clinic=None, key="standard-walk-run", version=1)
    run_program = plan_services.run_program_save(
        actor=admin, base=shipped, name=text("Walk-run"), phases=shipped.phases, rule_texts=[text("Rest a day")]
    )
    plan_services.run_program_choose(actor=lead, plan=signed, program=run_program)
    plan_services.plan_sign(actor=lead, plan=signed)
    return_to_run = ReturnToRun.objects.get(episode=signed.episode)
    PhaseDecision.objects.create(
        return_to_run=return_to_run, proposed_step="progress", reasons=[text("Two easy runs")], from_phase=1, to_phase=2
    )
    draft = plan_services.plan_draft(actor=lead, assessment=assessment)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    appointments = [
        AppointmentFactory(episode=episode, clinician=lead, starts_at=tomorrow + datetime.timedelta(hours=hour))
        for hour, episode in enumerate(episodes)
    ]
    # A signed note with an addendum on the first visit, and a draft pre-filled from the signed plan.
    noted = note_services.note_open(actor=lead, appointment=appointments[0])
    note_services.note_save(
        actor=lead,
        note=noted,
        values={"function": text("Runs 5 km"), "response": "better", "next_visit": text("Repeat")}
        | {"total_minutes": 30, "timed_minutes": 20},
        lines=[
            (
                None,
                note_rules.LineDraft(
                    prong="exercise",
                    name=text("Bridge"),
                    region=text("Gluteals"),
                    technique="Supine",
                    sets=3,
                    reps="10",
                ),
            )
        ],
    )
    note_services.note_sign(actor=lead, note=noted)
    note_services.addendum_add(actor=lead, note=noted, text=text("Ice advised"))
    draft_note = note_services.note_open(actor=lead, appointment=appointments[2])
    # A discharged episode of the treated patient, with its summary.
    closing = EpisodeFactory(patient=treated.patient, lead_clinician=lead, presenting_complaint=text("Left hip pain"))
    closed = discharge_services.discharge_episode(
        actor=lead, episode=closing, reason="goals_met", what_improved=text("Pain down")
    )
    run = run_services.log_run(
        episode=treated,
        local_date=treated.opened_on,
        distance_m=5000,
        moving_s=1800,
        feel=run_services.Feel(pain_during=2, rpe=3, swelling_or_stiffness=False, note=text("Easy loop")),
        actor=lead,
    )
    endpoint = WebhookEndpoint.objects.create(
        clinic=clinic,
        url=f"https://receiver{mark.lower()}.example.test/hooks",
        description=text("Practice management sync"),
        event_types=["plan.signed"],
        secret=webhook_rules.new_secret(),
        created_by=admin,
    )
    token, _ = api_tokens.api_token_create(actor=admin, owner=lead, name=text("Reporting"))
    intake = Intake.objects.get(episode=submitted)
    assert intake.status == IntakeStatus.SUBMITTED
    readiness_check = record_check(lead, treated, override_reason=text("Ready to start"))
    # A runner's device file read into a run, and the same run as GPX waiting for a decision.
    run_files = []
    for name, content in ((text("morning") + ".fit", run_fit()), ("run.gpx", run_gpx())):
        received = run_file_uploads.receive_file(treated, run_file_upload(name, content))
        run_file_uploads.read_file(run_file_id=received.pk)
        run_files.append(received.pk)
    return {
        "patients": [patient.pk for patient in patients],
        "episodes": [episode.pk for episode in episodes],
        "intake-invitations": list(
            IntakeInvitation.objects.filter(intake__episode__in=episodes).values_list("pk", flat=True)
        ),
        "intakes": [intake.pk],
        # The draft first: the coverage phase edits the first record of each kind.
        "assessments": [draft_assessment.pk, assessment.pk],
        "findings": list(assessment.findings.values_list("pk", flat=True)),
        "interventions": list(signed.items.values_list("intervention_id", flat=True)),
        "plans": [draft.pk, signed.pk],
        "plan-items": list(draft.items.values_list("pk", flat=True)) + list(signed.items.values_list("pk", flat=True)),
        "plan-visits": [treated.pk],
        "appointments": [appointment.pk for appointment in appointments],
        # The draft first: the coverage phase edits the first record of each kind.
        "visit-notes": [draft_note.pk, noted.pk],
        "visit-note-states": [appointment.pk for appointment in appointments],
        "discharges": [closed.pk],
        "return-to-run-plans": [return_to_run.pk],
        "run-program-templates": [run_program.pk, shipped.pk],
        "runs": [run.pk],
        "webhooks": [endpoint.pk],
        "tokens": [token.pk],
        "return-to-run-checks": [readiness_check.pk],
        "run-files": run_files[::-1],
        "clinicians": [lead.pk],
        "staff": [lead.pk, admin.pk],
    }


def seed_world(clinic, other_clinic) -> World:
    ids = _seed_clinic(clinic)
    foreign_ids = _seed_clinic(other_clinic, mark=MARKER)
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN])
    return World(clinic=clinic, admin=admin, ids=ids, foreign_ids=foreign_ids)


# --- The schema -------------------------------------------------------------------------------


@functools.cache
def _api_json() -> str:
    # Generating takes seconds; every test of a process reads the same schema.
    return OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)).decode()


def api_document() -> dict:
    """The schema as /api/schema/?format=json serves it, generated in-process (a fresh copy)."""
    return json.loads(_api_json())


def _bodies_with_real_references(world: World):
    """A body field that names a record or a staff member mostly gets a real id of our clinic,
    else one of the other clinic or the generated value: made-up ids alone would never get past
    the lookup to the rest of the body, nor a scenario past its first create."""

    def flatmap_body(context, body):
        named = [name for name in _REFERENCES if isinstance(body, dict) and name in body]
        if not named:
            return st.just(body)
        drawn = {}
        for name in named:
            ours = st.sampled_from(world.ids[_REFERENCES[name]])
            theirs = st.sampled_from(world.foreign_ids[_REFERENCES[name]])
            drawn[name] = st.one_of(ours, ours, theirs, st.just(body[name]))
        return st.fixed_dictionaries(drawn).map(lambda values: {**body, **values})

    return flatmap_body


def operations_of(schema, group: str) -> list:
    """The group's operations, revokes last: one can revoke the fuzzing token itself, after which
    every call is a (documented) 401."""
    others = [prefix for name, prefixes in GROUPS.items() if name != group for prefix in prefixes]
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if (operation.path.startswith(GROUPS[group]) if GROUPS[group] else not operation.path.startswith(tuple(others)))
    ]
    return sorted(operations, key=lambda operation: operation.path.endswith("/revoke/"))


# The coverage phase's cases about one body field name it at the start of their description.
_FIELD_CASE = re.compile(
    r"^(?:(\w+): |Object with valid '(\w+)' value: |Object with all required properties and '(\w+)'$)"
)


def _body_fields(operation) -> dict[str, dict[str, dict]]:
    """The body's fields per media type, each as the schema declares it less its description."""
    document = operation.schema.raw_schema
    content = document["paths"][operation.path][operation.method.lower()].get("requestBody", {}).get("content", {})
    fields = {}
    for media_type, body in content.items():
        definition = body.get("schema", {})
        if "$ref" in definition:
            definition = document["components"]["schemas"][definition["$ref"].rsplit("/", 1)[1]]
        fields[media_type] = {
            name: {key: value for key, value in declared.items() if key != "description"}
            for name, declared in definition.get("properties", {}).items()
        }
    return fields


def _same_as_another_field(case, fields: dict[str, dict[str, dict]]) -> tuple | None:
    """For a coverage case about one body field, what it sends in terms of that field's schema:
    two fields declared alike (the twenty LEFS items, the left and right of a measurement) are
    read by the same serializer field, so the same value in the same scenario sends nothing new.
    None for every other case, which is always sent."""
    data = case.meta.phase.data if case.meta else None
    match = _FIELD_CASE.match(getattr(data, "description", "") or "")
    declared = fields.get(getattr(data, "parameter", None), {})
    name = match and next(group for group in match.groups() if group)
    if not name or name not in declared or not isinstance(case.body, dict):
        return None
    # The rest of the body is the scenario's base (a valid object, or only the required fields),
    # the same for every field, so the field's schema and value tell such cases apart.
    return (
        case.meta.generation.mode,
        data.parameter,
        data.description.replace(name, "<field>"),
        json.dumps(declared[name], sort_keys=True),
        json.dumps(case.body.get(name, "<missing>"), sort_keys=True, default=str),
        json.dumps(case.path_parameters, sort_keys=True, default=str),
        json.dumps(case.query, sort_keys=True, default=str),
    )


# --- Checks -----------------------------------------------------------------------------------


def no_other_clinics_data(ctx, response, case):
    """No response carries the other clinic's marker, whatever was asked."""
    if MARKER.lower() in response.text.lower():
        start = response.text.lower().index(MARKER.lower())
        raise AssertionError(
            f"Another clinic's data in the response: …{response.text[max(0, start - 80) : start + 20]}…"
        )


def checks(*, stateful: bool = False) -> list:
    confirmed: set[str] = set()

    def ignored_auth_once(ctx, response, case):
        """schemathesis's ignored_auth sends the call again without credentials and with wrong
        ones; once an operation refused both, its other cases need not repeat it."""
        if case.operation.label in confirmed:
            return None
        outcome = ignored_auth(ctx, response, case)
        if 200 <= response.status_code < 300:
            confirmed.add(case.operation.label)
        return outcome

    ignored_auth_once.__name__ = "ignored_auth"
    base = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
        ignored_auth_once,
        no_other_clinics_data,
    ]
    return [*base, use_after_free, ensure_resource_availability] if stateful else base


# --- Running the phases -----------------------------------------------------------------------


def keep_the_test_connection() -> None:
    """Django closes the database connection when a request starts and ends; in a test that
    would drop the transaction holding the seeded clinics. Django's test client disconnects this
    around each of its requests (and connects it again after them), so it is done before each
    case, after any test-client request of the seeding."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


def reconnect_request_signals() -> None:
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call(case, **kwargs):
    """Send the case in a savepoint of the test's transaction, rolled back after a server error:
    a database error would otherwise leave the transaction unusable for every later case."""
    savepoint = transaction.savepoint()
    response = case.call(**kwargs)
    if response.status_code >= 500:
        transaction.savepoint_rollback(savepoint)
    else:
        transaction.savepoint_commit(savepoint)
    return response


@dataclass
class Run:
    """One role's run: sends cases, checks them, counts them, collects the failures."""

    role: str
    world: World
    app: object
    rerun: str
    checks: list = field(default_factory=checks)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.member = self.world.member(self.role)
        self.token = self.world.token_for(self.member)

    def schema(self, document: dict | None = None):
        """The schema for schemathesis: calling the app with the role's token (as the schema's
        auth, so ``ignored_auth`` knows the credentials are real), bodies naming real records."""
        schema = schemathesis.openapi.from_dict(document or api_document(), config=CONFIG)
        schema.app = self.app
        schema.hooks.register_hook_with_name(_bodies_with_real_references(self.world), "flatmap_body")
        run = self

        class RoleToken:
            def get(self, case, context):
                return run.token

            def set(self, case, token, context):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

        schema.auth(refresh_interval=None)(RoleToken)
        return schema

    def send(self, case, *, phase: str, checks: list | None = None, recorder=None):
        keep_the_test_connection()
        response = call(case, app=self.app)
        report.count(self.role, phase, case.operation.label, response.status_code)
        case.validate_response(response, checks=checks or self.checks, recorder=recorder)
        return response

    def operations(self, group: str) -> list:
        return operations_of(self.schema(), group)

    def fail(self, phase: str, label: str, error: BaseException) -> None:
        notes = "\n".join(getattr(error, "__notes__", []))
        self.failures.append(f"[{self.role}, {phase}] {label}\n{error}\n{notes}\nRerun (the same cases): {self.rerun}")

    def _first_record(self, operation) -> dict[str, str]:
        """The path parameters naming our clinic's first record of the operation's route."""
        match = _RESOURCE.match(operation.path + ("" if operation.path.endswith("/") else "/"))
        if match and self.world.ids.get(match.group(1)):
            return {"id": str(self.world.ids[match.group(1)][0])}
        return {}

    def refused(self, operation) -> bool:
        """Whether the role may not use the operation at all: it answers 403 to a call on our
        first record with an empty body (permissions are checked before the body is read)."""
        keep_the_test_connection()
        with_body = operation.body and operation.method.upper() in ("POST", "PUT", "PATCH")
        case = operation.Case(
            path_parameters=self._first_record(operation),
            headers={"Authorization": f"Bearer {self.token}"},
            body={} if with_body else schemathesis.core.NOT_SET,
            media_type="application/json" if with_body else None,
        )
        savepoint = transaction.savepoint()
        try:
            return case.call(app=self.app).status_code == 403
        finally:
            transaction.savepoint_rollback(savepoint)

    def coverage(self, operation) -> None:
        """schemathesis's coverage phase on the operation, on the first real record of its route.
        An operation the role may not use is left out: its boundary values would only test the
        same refusal again (its fuzzing cases still do). A field's case whose value and scenario
        another field declared alike already sent is skipped (``_same_as_another_field``)."""
        if self.refused(operation):
            return
        override = Override()
        if path_parameters := self._first_record(operation):
            override = Override(path_parameters=path_parameters)
        generator = CoverageGenerator(
            operation=operation,
            generation_modes=list(schemathesis.GenerationMode),
            generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=override,
            feedback=FeedbackSources(),
        )
        fields = _body_fields(operation)
        seen: set[tuple] = set()
        try:
            for number, case in enumerate(generator):
                if (same := _same_as_another_field(case, fields)) is not None:
                    if same in seen:
                        continue
                    seen.add(same)
                if number:
                    # Only the first case keeps the generated If-Match (an empty ETag: the
                    # documented 412); the rest leave it out, as the schema allows, so that their
                    # boundary values reach the body's fields instead of all answering 412.
                    case.headers = {key: value for key, value in (case.headers or {}).items() if key != "If-Match"}
                self._real_references(case)
                self.send(case, phase="coverage")
        except (Exception, FailureGroup) as error:
            self.fail("coverage", operation.label, error)

    def _real_references(self, case) -> None:
        """A schema-valid coverage body names our first real record, so the boundary values of the
        other fields reach the service rather than the lookup's "no such record"."""
        meta = case.meta
        if meta is None or meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
            return
        if isinstance(case.body, dict):
            for name, prefix in _REFERENCES.items():
                if isinstance(case.body.get(name), int):
                    case.body[name] = self.world.ids[prefix][0]

    def fuzzing(self, operation) -> None:
        """Hypothesis cases on the operation: schema-valid and schema-violating, on our real ids,
        the other clinic's ids and made-up ids; fewer where the role may not use it at all."""
        examples = REFUSED_EXAMPLES if self.refused(operation) else MAX_EXAMPLES
        choices = [operation.as_strategy(), operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
        match = _RESOURCE.match(operation.path + ("" if operation.path.endswith("/") else "/"))
        if match:
            prefix = match.group(1)
            for pk in [*self.world.ids.get(prefix, []), *self.world.foreign_ids.get(prefix, [])]:
                choices.append(operation.as_strategy(path_parameters={"id": pk}))

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            # No shrinking: the first failing case is reported as found, which keeps the run bounded.
            phases=[Phase.explicit, Phase.generate],
            # Each case is a real request on a real database (too_slow); schemathesis filters
            # generated bodies against the schema (filter_too_much, data_too_large).
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        )
        @given(case=st.one_of(choices))
        def fuzz(case):
            self.send(case, phase="fuzzing")

        try:
            fuzz()
        except (Exception, FailureGroup) as error:
            self.fail("fuzzing", operation.label, error)

    def stateful(self, schema) -> None:
        """schemathesis's state machine over the schema's links: ``SCENARIOS`` sequences of up to
        ``STEPS`` calls. Each scenario starts with a fresh token, so that revoking it (a call the
        fuzz may well make) ends only that scenario's access, and ends rolled back."""
        run = self
        stateful_checks = checks(stateful=True)

        class Workflow(schema.as_state_machine()):
            def setup(self):
                # Each scenario starts from the seeded clinics, so that Hypothesis, which replays
                # the start of earlier scenarios to find new ones, meets the same answers again.
                self.savepoint = transaction.savepoint()
                run.token = run.world.token_for(run.member)
                self.steps: list[str] = []

            def teardown(self):
                transaction.savepoint_rollback(self.savepoint)

            def get_call_kwargs(self, case):
                return {"app": run.app}

            def call(self, case, **kwargs):
                keep_the_test_connection()
                response = call(case, **kwargs)
                report.count(run.role, "stateful", case.operation.label, response.status_code)
                self.steps.append(f"{len(self.steps) + 1}. {case.as_curl_command()}")
                return response

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                try:
                    case.validate_response(response, checks=stateful_checks, recorder=self.recorder)
                except FailureGroup as error:
                    error.add_note("The scenario's calls, oldest first:\n" + "\n".join(self.steps))
                    raise

        try:
            Workflow.run(
                settings=settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except (Exception, FailureGroup) as error:
            self.fail("stateful", "scenario", error)
