"""Step-rate retraining: the baseline from the runner's watch files, the +5 % / +10 % target, and
the episode page's panel (clinicians of the clinic only)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from running import cadence
from running.models import CadencePrescription, Run, RunSource
from running.services import cadence as services


@pytest.mark.parametrize(
    ("rates", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([170], cadence.Baseline(170, 1)),
        ([170, 172, 180], cadence.Baseline(172, 3)),
        ([170, 171], cadence.Baseline(171, 2)),  # 170.5 rounds half up
        # Only the latest five count, newest first.
        ([160, 160, 160, 160, 160, 200, 200], cadence.Baseline(160, 5)),
        # A sensor fault is not a step rate.
        ([40, 999, 168], cadence.Baseline(168, 1)),
        ([99, 251], None),
        ([100, 250], cadence.Baseline(175, 2)),
    ],
)
def test_the_baseline_is_the_median_of_the_latest_plausible_rates(rates, expected):
    assert cadence.baseline(rates) == expected


@pytest.mark.parametrize(
    ("baseline", "increase", "expected"),
    [(160, 5, 168), (160, 10, 176), (171, 5, 180), (165, 10, 182), (170, 5, 179)],
)
def test_the_target_raises_the_baseline_to_the_whole_step(baseline, increase, expected):
    assert cadence.target(baseline, increase) == expected


@pytest.mark.parametrize("increase", [0, 3, 7, 15, -5, None, "5"])
def test_only_the_studied_increases_are_prescribed(increase):
    with pytest.raises(ValueError, match="5, 10"):
        cadence.target(170, increase)


def _run(episode, rate, days_ago=1):
    started = timezone.now() - datetime.timedelta(days=days_ago)
    return Run.objects.create(
        episode=episode,
        source=RunSource.FILE,
        started_at=started,
        local_date=started.date(),
        distance_m=5000,
        moving_s=1800,
        step_rate=rate,
    )


@pytest.fixture
def runs(episode):
    return [_run(episode, rate, days) for rate, days in ((168, 1), (172, 2), (170, 3))]


def test_prescribing_sets_the_target_over_the_measured_baseline(episode, clinician, runs):
    prescription = services.prescribe(episode=episode, actor=clinician, increase_pct=10)
    assert (prescription.baseline_steps_per_min, prescription.baseline_runs, prescription.target_steps_per_min) == (
        170,
        3,
        187,
    )


def test_a_new_prescription_replaces_the_current_one(episode, clinician, runs):
    first = services.prescribe(episode=episode, actor=clinician, increase_pct=5)
    second = services.prescribe(episode=episode, actor=clinician, increase_pct=10)
    first.refresh_from_db()
    assert first.stopped_at is not None
    assert first.stopped_by == clinician
    assert list(CadencePrescription.objects.filter(stopped_at__isnull=True)) == [second]


def test_without_a_measured_step_rate_nothing_is_prescribed(episode, clinician):
    _run(episode, None)
    with pytest.raises(ValidationError, match="watch files"):
        services.prescribe(episode=episode, actor=clinician, increase_pct=5)
    assert not CadencePrescription.objects.exists()


def test_the_database_refuses_an_unstudied_increase_and_a_target_below_the_baseline(episode, clinician):
    fields = {"episode": episode, "baseline_steps_per_min": 170, "baseline_runs": 1, "prescribed_by": clinician}
    with pytest.raises(IntegrityError), transaction.atomic():
        CadencePrescription.objects.create(**fields, increase_pct=7, target_steps_per_min=182)
    with pytest.raises(IntegrityError), transaction.atomic():
        CadencePrescription.objects.create(**fields, increase_pct=5, target_steps_per_min=160)


def test_the_episode_page_shows_the_baseline_and_prescribes(client, episode, clinician, runs):
    client.force_login(clinician)
    page = client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert "Measured step rate: <strong>170 steps/min</strong>" in page
    assert "evidence on injury or pain is very limited" in page
    response = client.post(reverse("cadence_prescribe", args=[episode.pk]), {"increase_pct": "5"}, follow=True)
    assert "Step-rate target set: 179 steps/min." in response.content.decode()
    assert "<strong>179 steps/min</strong>" in response.content.decode()
    client.post(reverse("cadence_stop", args=[episode.pk]))
    assert not CadencePrescription.objects.filter(stopped_at__isnull=True).exists()


@pytest.mark.parametrize("value", ["", "7", "five", "5\x00", "1" * 5000])
def test_a_bad_increase_is_refused_with_a_message(client, episode, clinician, runs, value):
    client.force_login(clinician)
    response = client.post(reverse("cadence_prescribe", args=[episode.pk]), {"increase_pct": value}, follow=True)
    assert response.status_code == 200
    assert "Choose +5 % or +10 %." in response.content.decode()
    assert not CadencePrescription.objects.exists()


def test_the_front_desk_sees_no_panel_and_cannot_prescribe(client, episode, front_desk, runs):
    client.force_login(front_desk)
    assert "Step-rate retraining" not in client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert client.post(reverse("cadence_prescribe", args=[episode.pk]), {"increase_pct": "5"}).status_code == 403
    assert not CadencePrescription.objects.exists()


def test_another_clinics_episode_is_not_found(client, foreign_episode, clinician):
    _run(foreign_episode, 170)
    client.force_login(clinician)
    response = client.post(reverse("cadence_prescribe", args=[foreign_episode.pk]), {"increase_pct": "5"})
    assert response.status_code == 404
    assert client.post(reverse("cadence_stop", args=[foreign_episode.pk])).status_code == 404
    assert not CadencePrescription.objects.exists()


def test_a_get_is_not_allowed(client, episode, clinician):
    client.force_login(clinician)
    assert client.get(reverse("cadence_prescribe", args=[episode.pk])).status_code == 405
