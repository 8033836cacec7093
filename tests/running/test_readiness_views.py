"""The return-to-run check's pages: who may record and read them, the verdict before the decision,
refusals that keep what was typed, and the clinic's criteria."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import RedFlag
from running.models import ReadinessCheck, ReadinessCriterion
from tests.factories import clinic_today
from tests.running.readiness_fixtures import passing_post, record_check

pytestmark = pytest.mark.django_db


def _new(episode) -> str:
    return reverse("readiness_check_new", args=[episode.pk])


def test_clinician_records_a_check_that_agrees_with_the_checklist(client, clinician, episode):
    client.force_login(clinician)
    response = client.post(_new(episode), passing_post())
    check = ReadinessCheck.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("readiness_check_detail", args=[check.pk])
    assert (check.rule_start, check.decision, check.override_reason) == (True, "start", "")
    assert check.lsi_formula == "involved_over_uninvolved"
    assert check.items.count() == 15
    assert check.thresholds == {"rtr_y_balance_lsi_pct": "85", "rtr_hos_adl_pct": "95", "rtr_hos_sport_pct": "90"}
    assert AuditEvent.objects.filter(action="readiness_check.recorded", object_id=check.pk).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Start running" in page.content.decode()
    assert AuditEvent.objects.filter(action="readiness_check.viewed", patient_id=episode.patient.pk).exists()


def test_the_verdict_is_shown_item_by_item_before_deciding(client, clinician, episode):
    client.force_login(clinician)
    data = passing_post(action="check", decision="", **{"item-plank-value": "30", "item-walk-pain": "on"})
    response = client.post(_new(episode), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The checklist says: not yet" in html
    assert "30 seconds, 45 needed." in html
    assert "painful; every task must be pain-free." in html
    assert not ReadinessCheck.objects.exists()


def test_deciding_against_the_checklist_needs_a_reason_and_keeps_the_input(client, clinician, episode):
    client.force_login(clinician)
    data = passing_post(**{"item-plank-value": "30"})
    response = client.post(_new(episode), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "You are deciding against the checklist: say why." in html
    assert 'value="30"' in html
    assert not ReadinessCheck.objects.exists()

    data["override_reason"] = "Plank limited by shoulder, not the hip"
    assert client.post(_new(episode), data).status_code == 302
    check = ReadinessCheck.objects.get()
    assert (check.rule_start, check.overridden) == (False, True)
    assert "Plank: 30 seconds, 45 needed." in check.rule_reasons


def test_an_open_urgent_red_flag_comes_first(client, clinician, episode):
    RedFlag.objects.create(episode=episode, code="weight_loss", tier="urgent", label="Unexplained weight loss")
    client.force_login(clinician)
    response = client.post(_new(episode), passing_post(action="check"))
    html = response.content.decode()
    assert "The checklist says: not yet" in html
    assert "Unexplained weight loss" in html
    response = client.post(_new(episode), passing_post(decision="hold"))
    assert ReadinessCheck.objects.get().rule_reasons[0].startswith("Open red flag: Unexplained weight loss.")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pain_now": "11"}, "pain_now", "less than or equal to 10"),
        ({"pain_now": ""}, "pain_now", "required"),
        ({"reach_left_anterior": "-3"}, "reach_left_anterior", "greater than or equal to 0.1"),
        ({"reach_left_anterior": "9" * 40}, "reach_left_anterior", "digits"),
        ({"hos_adl": "101"}, "hos_adl", "less than or equal to 100"),
        ({"involved_side": ""}, "involved_side", "Choose the involved side"),
        ({"checked_on": "2026-02-30"}, "checked_on", "valid date"),
        ({"checked_on": "9999-12-31"}, "checked_on", "cannot be dated after today"),
        ({"decision": ""}, "decision", "Choose your decision."),
        ({"decision": "jump"}, "decision", "valid choice"),
        ({"item-plank-value": "abc"}, None, "Enter a number"),
        ({"item-plank-note": "x\x00y"}, None, "control character"),
        ({"override_reason": "a" * 3000}, "override_reason", "at most 2000"),
    ],
)
def test_bad_input_is_refused_with_the_input_kept(client, clinician, episode, changes, field, message):
    client.force_login(clinician)
    response = client.post(_new(episode), passing_post(**changes))
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    if field:
        assert f'id="id_{field}_errors"' in html or f"id_{field}" in html
    assert not ReadinessCheck.objects.exists()


def test_next_check_before_this_one_is_refused(client, clinician, episode):
    client.force_login(clinician)
    before = (clinic_today() - datetime.timedelta(days=1)).isoformat()
    response = client.post(_new(episode), passing_post(next_check_on=before))
    assert response.status_code == 400
    assert "The next check cannot be before this one." in response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_other_roles_may_neither_record_nor_read(client, request, clinician, episode, role):
    check = record_check(clinician, episode)
    client.force_login(request.getfixturevalue(role))
    assert client.get(_new(episode)).status_code == 403
    assert client.post(_new(episode), passing_post()).status_code == 403
    assert client.get(reverse("readiness_check_detail", args=[check.pk])).status_code == 403
    assert ReadinessCheck.objects.count() == 1
    page = client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert "Return-to-run checks" not in page


def test_another_clinics_episode_and_check_are_not_found(client, clinician, foreign_episode, other_clinic):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    foreign_clinician = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    check = record_check(foreign_clinician, foreign_episode)
    client.force_login(clinician)
    assert client.get(_new(foreign_episode)).status_code == 404
    assert client.post(_new(foreign_episode), passing_post()).status_code == 404
    assert client.get(reverse("readiness_check_detail", args=[check.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, episode):
    response = client.get(_new(episode))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_episode_page_lists_the_checks(client, clinician, episode):
    record_check(clinician, episode)
    record_check(clinician, episode, decision="hold", override_reason="Wants another week")
    client.force_login(clinician)
    html = client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert "Return-to-run checks" in html
    assert "Record a return-to-run check" in html
    assert "(against the checklist)" in html


def test_a_signed_check_is_never_changed(clinician, episode):
    check = record_check(clinician, episode)
    check.pain_now = 5
    with pytest.raises(PermissionError):
        check.save()


def test_the_database_refuses_a_decision_against_the_rule_without_a_reason(clinician, episode):
    check = record_check(clinician, episode)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadinessCheck.objects.filter(pk=check.pk).update(decision="hold")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadinessCheck.objects.filter(pk=check.pk).update(hos_adl=Decimal(101))
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadinessCheck.objects.filter(pk=check.pk).update(involved_side="")


def test_clinic_admin_edits_a_criterion_and_new_checks_use_it(client, clinic, clinic_admin, clinician, episode):
    client.force_login(clinic_admin)
    page = client.get(reverse("readiness_criteria"))
    assert page.status_code == 200
    assert "expert opinion" in page.content.decode()
    data = {}
    for row in page.context["forms"]:
        for name, field in row.fields.items():
            value = row.initial.get(name, field.initial)
            if name == "active":
                if value is not False:
                    data[f"{row.prefix}-{name}"] = "on"
            else:
                data[f"{row.prefix}-{name}"] = "" if value is None else str(value)
    data["criterion-plank-target"] = "60"
    data.pop("criterion-walk-active")
    response = client.post(reverse("readiness_criteria"), data)
    assert response.status_code == 302
    assert set(ReadinessCriterion.objects.values_list("key", flat=True)) == {"plank", "walk"}
    assert AuditEvent.objects.filter(action="clinic.readiness_criteria_updated").exists()

    check = record_check(clinician, episode, decision="hold")
    assert "Plank: 45 seconds, 60 needed." in check.rule_reasons
    assert "walk" not in set(check.items.values_list("criterion_key", flat=True))


def test_criteria_bad_input_is_kept(client, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(reverse("readiness_criteria"), {"criterion-plank-target": "-1"})
    assert response.status_code == 400
    assert not ReadinessCriterion.objects.exists()


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_the_clinic_admin_edits_criteria(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("readiness_criteria")).status_code == 403
