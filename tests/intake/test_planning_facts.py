"""What plans read of an intake: ``intake.selectors.planning_facts``, never the raw answers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from clinic import messaging
from intake import selectors
from tests.intake.helpers import complete_intake, fill_steps, questionnaire_data, send_invitation


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


def _submitted(episode, front_desk, answers, capture) -> None:
    link = send_invitation(episode, actor=front_desk)
    with capture(execute=True):
        assert complete_intake(Client(), link, answers=answers).status_code == 302


def test_nothing_is_reported_before_the_intake_is_submitted(episode, front_desk):
    assert selectors.planning_facts(episode) == selectors.PlanningFacts()
    fill_steps(Client(), send_invitation(episode, actor=front_desk))  # every step saved, none submitted
    episode.refresh_from_db()
    assert selectors.planning_facts(episode) == selectors.PlanningFacts()


@pytest.mark.parametrize(
    ("regions", "back_pain", "lower_limb_pain"),
    [
        (["low_back_left"], True, False),
        (["hip_side_right"], False, True),
    ],
)
def test_a_submitted_intake_gives_its_regions_load_facts_and_scores(
    episode, front_desk, django_capture_on_commit_callbacks, regions, back_pain, lower_limb_pain
):
    answers = {
        "complaint": {"regions": regions},
        # A 60 % rise in weekly distance over two weeks.
        "running": {"weekly_2_weeks_ago": "25", "weekly_now": "40", "weekly_4_weeks_ago": "20"},
        "questionnaires": questionnaire_data(odi=2 if back_pain else None, lefs=3 if lower_limb_pain else None),
    }
    _submitted(episode, front_desk, answers, django_capture_on_commit_callbacks)
    episode.refresh_from_db()

    facts = selectors.planning_facts(episode)

    assert (facts.back_pain, facts.lower_limb_pain) == (back_pain, lower_limb_pain)
    assert "distance_progression" in facts.load_facts
    assert facts.scores["nprs"] == Decimal(5)
    assert ("odi" in facts.scores, "lefs" in facts.scores) == (back_pain, lower_limb_pain)
