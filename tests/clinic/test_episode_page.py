"""The episode page loads what it shows in a fixed number of queries, whatever the episode holds,
and writes one row: its audit row (the session is not saved on every request, test_auth.py)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, AssessmentStatus
from assessments.progress import RomMethod
from clinic.permissions import Role
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling.models import WaitListEntry
from intake.models import Intake, IntakeInvitation, IntakeStatus, RedFlag
from notes import services as note_services
from notes.measures import PartExam, Remeasure
from plans.models import TreatmentPlan
from tests.factories import AppointmentFactory, UserFactory
from tests.plans.handout_helpers import home_item, signed_version

# Session, user, the episode with its patient, clinic, lead clinician and intake, the user's
# permissions (their own and their roles', in one query), their roles for the navigation, the upcoming and the
# recent visits, the plans with their assessments and their newest versions, then each panel's
# own: the latest intake link, open red flags, assessments, the home-program logs, the open
# wait-list entry and the clinicians the wait-list form offers; the audit row. Then the visit
# notes' timeline: the notes with their visits and authors, their re-measures, their PART rows,
# and, as there are re-measures to compare, the baseline assessment with its ROM rows and
# special tests and the clinic's thresholds (7 queries; the front desk and the clinic admin see
# no note, so theirs do not change). Then the return-to-run checks, one query however many, and
# the step-rate panel: the current prescription and the runs' step rates, the runner's
# return-to-run plan, the device files waiting for the clinician's decision, and the load
# ledger's runs and thresholds (7; the front desk and the clinic admin see none).
CLINICIAN_QUERIES = 30
# No clinical content: no red flags, no home-program logs.
FRONT_DESK_QUERIES = 14
# No intake link and no wait list (neither is theirs), nor clinical content.
CLINIC_ADMIN_QUERIES = 11


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def frozen():
    # One instant for the whole test: the session is saved on the first request only, and the
    # visits keep their side of "now".
    with time_machine.travel(timezone.now(), tick=False):
        yield


def _noon(episode, days: int) -> datetime.datetime:
    zone = episode.patient.clinic.zone
    day = timezone.localdate(timezone.now(), zone) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)


def _add_care(episode, rounds: int, first: int = 0) -> None:
    """``rounds`` weeks of care: an assessment, a signed plan with a week of logs, a visit on
    each side of today, a red flag, an intake link (each revoking the one before)."""
    clinician = episode.lead_clinician
    now = timezone.now()
    intake, _ = Intake.objects.get_or_create(
        episode=episode, defaults={"status": IntakeStatus.SUBMITTED, "submitted_at": now}
    )
    for number in range(first, first + rounds):
        IntakeInvitation.objects.filter(intake=intake, revoked_at__isnull=True).update(revoked_at=now)
        IntakeInvitation.objects.create(
            intake=intake,
            channel="email",
            created_by=clinician,
            created_at=now - datetime.timedelta(minutes=number + 1),
            expires_at=now + datetime.timedelta(days=7),
            sent_at=now,
        )
        RedFlag.objects.create(episode=episode, intake=intake, code=f"flag_{number}", tier="urgent", label="Flag")
        Assessment.objects.create(
            episode=episode,
            kind=AssessmentKind.REASSESSMENT if number else AssessmentKind.INITIAL,
            clinician=clinician,
            status=AssessmentStatus.COMPLETED,
            completed_at=now,
        )
        version = signed_version(episode, [home_item("Glute bridge"), home_item("Side plank")], signed_at=now)
        signed_version(episode, [home_item("Clamshell")], plan=version.plan, signed_at=now)  # re-signed
        HomeProgramCheckIn.objects.bulk_create(
            HomeProgramCheckIn(version=version, day=timezone.localdate() - datetime.timedelta(days=day), pain=3)
            for day in range(7)
        )
        for days in (number + 1, -number - 1):
            start = _noon(episode, days)
            visit = AppointmentFactory(
                episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
            )
        # The past visit's note, with a re-measure and a segment's PART exam.
        note = note_services.note_open(actor=clinician, appointment=visit)
        method = RomMethod(position="supine", device="goniometer", mode="passive")
        measure = Remeasure(kind="rom", code="flexion", side="left", degrees=110 + number, method=method)
        note_services.measure_save(actor=clinician, note=note, measure=measure)
        note_services.part_save(actor=clinician, note=note, segment="L4", exam=PartExam(pain=True, asymmetry=True))
        UserFactory(clinic=episode.patient.clinic, roles=[Role.CLINICIAN])  # one more to choose on the wait list


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.CLINICIAN, CLINICIAN_QUERIES),
        (Role.FRONT_DESK, FRONT_DESK_QUERIES),
        (Role.CLINIC_ADMIN, CLINIC_ADMIN_QUERIES),
    ],
)
def test_the_episode_page_runs_the_same_queries_however_much_the_episode_holds(
    client, episode, role, expected, frozen, django_assert_num_queries
):
    clinic = episode.patient.clinic
    client.force_login(episode.lead_clinician if role == Role.CLINICIAN else UserFactory(clinic=clinic, roles=[role]))
    url = f"/episodes/{episode.pk}/"
    _add_care(episode, 1)
    client.get(url)  # the first request of the session saves it
    with django_assert_num_queries(expected):
        small = client.get(url).content.decode()
    _add_care(episode, 5, first=1)
    with django_assert_num_queries(expected):
        large = client.get(url).content.decode()
    assert large.count("/schedule/visits/") > small.count("/schedule/visits/") or role == Role.CLINIC_ADMIN
    if role == Role.CLINICIAN:
        assert large.count("Plan version 2") == 6  # every plan's newest version, with its log
        assert large.count("Flag</li>") == 6
        assert large.count("Hip flexion left: ") == 6  # every note's re-measure in the timeline
        assert large.count("PART L4: P, A") == 6


def test_the_page_shows_the_plans_newest_versions_and_the_open_wait_list_entry(client, episode, frozen):
    _add_care(episode, 2)
    draft = TreatmentPlan.objects.create(
        episode=episode, assessment=Assessment.objects.first(), created_by=episode.lead_clinician
    )
    WaitListEntry.objects.create(episode=episode, note="mornings only", created_by=episode.lead_clinician)
    client.force_login(episode.lead_clinician)
    html = client.get(f"/episodes/{episode.pk}/").content.decode()
    assert html.count("Signed version 2:") == 2
    assert "Signed version 1:" not in html
    assert f'href="/plans/{draft.pk}/">Edit the draft plan</a>' in html
    assert "(mornings only)" in html
    assert "Add to the wait list" not in html


@pytest.mark.django_db(transaction=True)
def test_the_page_writes_its_audit_row_in_one_statement_and_nothing_else(client, episode, frozen):
    """Outside a test's transaction, as in production: no BEGIN or COMMIT around the audit row,
    and no session save."""
    _add_care(episode, 2)
    client.force_login(episode.lead_clinician)
    url = f"/episodes/{episode.pk}/"
    client.get(url)
    statements = _queries(client, url)
    assert len(statements) == CLINICIAN_QUERIES
    assert [sql.split(" (", 1)[0] for sql in statements if not sql.startswith(("SELECT", "DECLARE"))] == [
        'INSERT INTO "clinic_auditevent"'
    ]
    assert not [sql for sql in statements if sql.startswith("DECLARE")]  # no server-side cursor
