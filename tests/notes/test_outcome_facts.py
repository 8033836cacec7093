"""The stored outcomes (notes/outcome_facts.py): written at discharge, refreshed when what they rest on changes, and
summed into the same figures as judging every episode from the record on each read."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Finding, FindingOrigin
from clinic import services as clinic_services
from clinic.permissions import Role
from intake.models import Intake, IntakeStatus, QuestionnaireScore
from notes import discharge, outcome_facts, outcome_selectors, outcomes
from notes.models import FollowUp, FollowUpKind, FollowUpScore, OutcomeEpisode
from notes.outcome_selectors import Filters
from plans.models import PlanVersion
from tests.factories import PatientFactory, UserFactory, clinic_today
from tests.notes.conftest import signed_in
from tests.notes.outcome_fixtures import discharged_episode

MEASURES = outcome_selectors.MEASURES


def _intake(episode, **values):
    intake = Intake.objects.create(
        episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=timezone.now() - datetime.timedelta(days=90)
    )
    for code, value in values.items():
        QuestionnaireScore.objects.create(
            intake=intake,
            instrument=code,
            version="1",
            value=Decimal(value),
            display=str(value),
            items_answered=3,
            items_total=3,
            complete=True,
            scored=True,
        )


def _final(episode, **values):
    follow_up = FollowUp.objects.create(
        episode=episode, kind=FollowUpKind.FINAL, due_on=episode.closed_on, answered_at=timezone.now()
    )
    for code, value in values.items():
        FollowUpScore.objects.create(
            follow_up=follow_up,
            instrument=code,
            version="1",
            answers={},
            value=Decimal(value),
            display=str(value),
            items_answered=3,
            items_total=3,
            complete=True,
            scored=True,
        )


@pytest.fixture
def second_clinician(clinic):
    return UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Sam Second")


@pytest.fixture
def world(clinic, clinician, second_clinician, foreign_episode):
    """Discharged episodes unlike each other in every way a figure can tell apart."""
    new = PatientFactory
    episodes = [
        discharged_episode(new(clinic=clinic), clinician, hos=(50, 70), visits=3, follow_up_answered=True),
        discharged_episode(new(clinic=clinic), clinician, hos=(50, 52), visits=5, follow_up_answered=False),
        discharged_episode(new(clinic=clinic), clinician, hos=(60,), visits=0),
        discharged_episode(
            new(clinic=clinic),
            second_clinician,
            condition="si_joint_pain",
            because=("Weak hip abductors", "Contralateral hip drop"),
            discharged_on=datetime.date(2026, 2, 9),
            hos=(40, 80),
            visits=8,
        ),
        discharged_episode(new(clinic=clinic), second_clinician, condition="", because=(), visits=4),
        discharged_episode(
            new(clinic=clinic), clinician, discharged_on=timezone.localdate() - datetime.timedelta(days=5)
        ),
        discharged_episode(foreign_episode.patient, foreign_episode.lead_clinician),
    ]
    # Two conditions on one episode, a dismissed one, readings of the intake and of the final measures by link.
    first = episodes[0].assessments.order_by("assessed_on", "pk").first()
    Finding.objects.create(
        assessment=first, code="si_joint_pain", label="SI", origin=FindingOrigin.ADDED, reason="Seen"
    )
    Finding.objects.create(
        assessment=first,
        code="piriformis_syndrome",
        label="Piriformis",
        origin=FindingOrigin.ADDED,
        reason="Seen",
        dismissed_at=timezone.now(),
        dismiss_reason="Not piriformis",
    )
    _intake(episodes[1], nprs=6, odi=40)
    _final(episodes[1], nprs=2, odi=34)
    _intake(episodes[2], nprs=3, odi=0)
    _final(episodes[3], odi="12.5", visag=70)
    PlanVersion.objects.filter(plan__episode=episodes[4]).delete()
    outcome_facts.refresh_all()
    return episodes


def _stored_groups(user, filters, *, minimum, condition=None):
    return outcomes.summarise_tallies(
        outcome_selectors.tallies(user, filters), minimum=minimum, measures=MEASURES, condition=condition
    )


def _judged_now(user, filters, *, minimum, condition=None):
    return outcomes.summarise(
        outcome_selectors.rows(user, filters), minimum=minimum, measures=MEASURES, condition=condition
    )


@pytest.mark.parametrize("minimum", [1, 2, 3])
@pytest.mark.parametrize("condition", [None, "gluteal_tendinopathy", "si_joint_pain", ""])
def test_the_stored_figures_are_those_judged_from_the_record(world, clinician, second_clinician, minimum, condition):
    for filters in (
        Filters(),
        Filters(clinician_id=second_clinician.pk),
        Filters(discharged_from=datetime.date(2026, 2, 1), discharged_to=datetime.date(2026, 2, 28)),
        Filters(discharged_from=timezone.localdate() - datetime.timedelta(days=30)),
    ):
        stored = _stored_groups(clinician, filters, minimum=minimum, condition=condition)
        assert stored == _judged_now(clinician, filters, minimum=minimum, condition=condition)
    assert _stored_groups(clinician, Filters(), minimum=1)  # the world is not empty


def test_each_stored_row_is_its_episode_judged(world, clinician, clinic):
    today = timezone.localdate(timezone=clinic.zone)
    rows = {row.episode_id: row for row in outcome_selectors.rows(clinician, Filters())}
    stored = {fact.episode_id: fact for fact in OutcomeEpisode.objects.filter(clinic=clinic)}
    assert stored.keys() == rows.keys()
    assert len(rows) == len(world) - 1  # the other clinic's episode is the other clinic's
    for episode_id, row in rows.items():
        fact = stored[episode_id]
        missed = None if not (fact.follow_up_due_on and fact.follow_up_due_on < today) else False
        if missed is False and fact.unanswered_due_on and fact.unanswered_due_on < today:
            missed = True
        assert (fact.clinician_id, fact.discharged_on, fact.visits, fact.weeks, missed) == (
            row.clinician_id,
            row.discharged_on,
            row.visits,
            row.weeks,
            row.lost_to_follow_up,
        )
        judged = {outcome.measure: outcome for outcome in row.measures}
        for measure in MEASURES:
            outcome = judged.get(measure)
            assert getattr(fact, f"{measure}_measured") is (outcome is not None)
            assert getattr(fact, f"{measure}_mcid") == (outcome.mcid_reached if outcome else None)
            assert getattr(fact, f"{measure}_pass") == (outcome.pass_reached if outcome else None)


def test_the_migration_fills_the_table_for_episodes_discharged_before_it(world, clinic):
    before = {fact.episode_id: fact.groups for fact in OutcomeEpisode.objects.all()}
    OutcomeEpisode.objects.all().delete()
    migration = importlib.import_module("notes.migrations.0007_outcome_facts")
    migration.store_discharged(None, None)
    assert {fact.episode_id: fact.groups for fact in OutcomeEpisode.objects.all()} == before
    assert len(before) == len(world)


def test_discharging_stores_the_outcome(clinician, episode):
    _intake(episode, nprs=6)
    assert not OutcomeEpisode.objects.filter(episode=episode).exists()
    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    fact = OutcomeEpisode.objects.get(episode=episode)
    assert (fact.clinician_id, fact.discharged_on, fact.nprs_measured, fact.nprs_mcid) == (
        clinician.pk,
        clinic_today(),
        True,
        None,  # a single reading
    )


def test_final_measures_answered_by_link_are_judged(clinician, episode):
    _intake(episode, nprs=6)
    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met", send_final_measures=True)
    follow_up = FollowUp.objects.get(episode=episode, kind=FollowUpKind.FINAL)
    discharge.follow_up_answer(follow_up=follow_up, answers={"nprs": {"now": 1, "least": 0, "worst": 2}})
    fact = OutcomeEpisode.objects.get(episode=episode)
    assert (fact.nprs_measured, fact.nprs_mcid) == (True, True)


def test_a_follow_up_answered_late_is_no_longer_missed(client, clinician, clinic):
    episode = discharged_episode(PatientFactory(clinic=clinic), clinician, follow_up_answered=False)
    signed_in(client, clinician)
    assert "Lost to follow-up: too few to judge (1)" in client.get(reverse("clinic_outcomes")).content.decode()
    follow_up = FollowUp.objects.get(episode=episode, kind=FollowUpKind.FOLLOW_UP)
    discharge.follow_up_answer(follow_up=follow_up, answers={"nprs": {"now": 1, "least": 0, "worst": 2}})
    assert OutcomeEpisode.objects.get(episode=episode).unanswered_due_on is None
    tallied = outcome_selectors.tallies(clinician, Filters())
    assert [(part.lost_known, part.lost) for part in tallied] == [(1, 0)]


def test_lost_to_follow_up_follows_the_day_the_page_is_read(clinician, clinic):
    discharged_on = timezone.localdate(timezone=clinic.zone) - datetime.timedelta(days=10)
    discharged_episode(PatientFactory(clinic=clinic), clinician, discharged_on=discharged_on, follow_up_answered=False)
    assert [(part.lost_known, part.lost) for part in outcome_selectors.tallies(clinician, Filters())] == [(0, 0)]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=25)):
        assert [(part.lost_known, part.lost) for part in outcome_selectors.tallies(clinician, Filters())] == [(1, 1)]


def test_a_finding_dismissed_after_discharge_moves_the_episode(clinician, clinic):
    episode = discharged_episode(PatientFactory(clinic=clinic), clinician, condition="si_joint_pain")
    finding = Finding.objects.get(assessment__episode=episode, code="si_joint_pain")
    assessment_services.finding_dismiss(actor=clinician, finding=finding, reason="Not SI joint after all")
    assert OutcomeEpisode.objects.get(episode=episode).groups == '[["", "Hip abductor weakness", "exercise"]]'
    assessment_services.finding_restore(actor=clinician, finding=finding)
    assert "si_joint_pain" in OutcomeEpisode.objects.get(episode=episode).groups


def test_a_new_lead_clinician_moves_the_episode_to_their_figures(clinician, second_clinician, clinic):
    episode = discharged_episode(PatientFactory(clinic=clinic), clinician)
    clinic_services.episode_update(actor=clinician, episode=episode, lead_clinician=second_clinician)
    assert OutcomeEpisode.objects.get(episode=episode).clinician_id == second_clinician.pk
    assert outcome_selectors.tallies(clinician, Filters(clinician_id=clinician.pk)) == []


def test_an_open_episodes_changes_store_nothing(clinician, episode):
    assessment = episode.assessments.create(clinician=clinician, assessed_on=episode.opened_on)
    assessment_services.finding_add(actor=clinician, assessment=assessment, reason="Seen", condition="si_joint_pain")
    assert not OutcomeEpisode.objects.exists()


def test_new_mcids_rejudge_the_clinics_episodes(clinic_admin, clinician, clinic, django_capture_on_commit_callbacks):
    episode = discharged_episode(PatientFactory(clinic=clinic), clinician, hos=(50, 70))
    assert OutcomeEpisode.objects.get(episode=episode).hos_adl_mcid is True
    with django_capture_on_commit_callbacks(execute=True):
        clinic_services.thresholds_update(actor=clinic_admin, clinic=clinic, values={"hos_adl_mcid": Decimal(25)})
    assert OutcomeEpisode.objects.get(episode=episode).hos_adl_mcid is False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        clinic_services.thresholds_update(actor=clinic_admin, clinic=clinic, values={"lapsed_after_weeks": 6})
    assert callbacks == []  # a threshold no outcome rests on re-judges nothing


def _csv_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("clinic_outcomes_csv")).status_code == 200
    return len(queries)


def test_the_csv_query_count_is_flat_in_the_number_of_episodes(client, clinician, clinic):
    signed_in(client, clinician)
    discharged_episode(PatientFactory(clinic=clinic), clinician, follow_up_answered=False)
    _csv_queries(client)  # the first request of a session fills per-process caches
    one = _csv_queries(client)
    for index in range(12):
        discharged_episode(PatientFactory(clinic=clinic), clinician, condition=["si_joint_pain", ""][index % 2])
    assert _csv_queries(client) == one
