"""The clinical factories store what the pages store: an assessment recorded through the screen and
a plan drafted and signed through its buttons give the same rows as the factories."""

from __future__ import annotations

from plans.models import PlanStatus
from tests.assessments.helpers import login, record, snapshot
from tests.factories import AssessmentFactory, EpisodeFactory, SignedPlanFactory
from tests.plans.helpers import drafted, sign

# Row identity and times differ between any two records; everything else must not.
UNCOMPARED = {"id", "assessment", "assessment_id", "episode", "created_at", "updated_at", "completed_at"}


def _comparable(rows: dict) -> dict:
    def strip(row: dict) -> dict:
        return {name: value for name, value in row.items() if name not in UNCOMPARED}

    return {
        part: strip(value) if isinstance(value, dict) else [strip(row) for row in value] for part, value in rows.items()
    }


def _body(version) -> dict:
    return {name: value for name, value in version.body.items() if name not in {"episode", "assessment"}}


def test_a_factory_assessment_is_stored_as_the_screen_stores_it(client, episode, clinician):
    through_the_screen = record(login(client, clinician), episode)
    made = AssessmentFactory(episode=EpisodeFactory(patient=episode.patient, lead_clinician=clinician))

    assert _comparable(snapshot(made)) == _comparable(snapshot(through_the_screen))
    assert made.findings.exists()


def test_a_factory_draft_is_stored_as_the_screen_saves_it(client, episode, clinician):
    through_the_screen = record(login(client, clinician), episode, kind="initial", complete=False)
    made = AssessmentFactory(episode=EpisodeFactory(patient=episode.patient, lead_clinician=clinician), complete=False)

    assert _comparable(snapshot(made)) == _comparable(snapshot(through_the_screen))


def test_a_factory_signed_plan_is_the_plan_drafted_and_signed_through_the_page(client, episode, clinician):
    login(client, clinician)
    through_the_page = drafted(client, record(client, episode))
    assert sign(client, through_the_page).status_code == 302
    through_the_page.refresh_from_db()
    made = SignedPlanFactory(assessment__episode=EpisodeFactory(patient=episode.patient, lead_clinician=clinician))

    assert made.status == through_the_page.status == PlanStatus.SIGNED
    assert _body(made.versions.get()) == _body(through_the_page.versions.get())
    assert made.versions.get().number == 1
