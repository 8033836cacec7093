"""Clinical thresholds: defaults from DOMAIN.md, each overridable by the clinic admin."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from clinic import thresholds
from clinic.models import AuditEvent, ClinicThreshold
from domain.facts import MCID_DEFAULTS, THRESHOLD_DEFAULTS


def _post(client, **values):
    data = {threshold.key: str(threshold.default) for threshold in thresholds.THRESHOLDS}
    data.update({key: str(value) for key, value in values.items()})
    return client.post(reverse("clinic_settings"), {**data, "save_thresholds": ""})


def test_defaults_come_from_the_table(clinic):
    values = thresholds.for_clinic(clinic)
    assert values["odi_min_sections"] == Decimal(8)
    assert values["load_progression_pct"] == Decimal(30)
    assert values["load_spike_pct"] == Decimal(110)
    assert values["intake_link_days"] == Decimal(14)


def test_admin_overrides_one_threshold_and_it_is_audited(client, clinic_admin, clinic, other_clinic):
    client.force_login(clinic_admin)
    response = _post(client, load_progression_pct=25)
    assert response.status_code == 302
    assert thresholds.for_clinic(clinic)["load_progression_pct"] == Decimal(25)
    assert thresholds.for_clinic(other_clinic)["load_progression_pct"] == Decimal(30)
    assert AuditEvent.objects.filter(
        action="clinic.thresholds_updated", changed_fields=["load_progression_pct"]
    ).exists()


def test_setting_the_default_again_removes_the_override(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    _post(client, odi_min_sections=9)
    assert ClinicThreshold.objects.filter(clinic=clinic, key="odi_min_sections").exists()
    _post(client, odi_min_sections=8)
    assert not ClinicThreshold.objects.filter(clinic=clinic).exists()


def test_mcid_defaults_are_the_clinical_ones(clinic):
    values = thresholds.for_clinic(clinic)
    assert (values["odi_mcid_points"], values["odi_mcid_relative_pct"]) == (Decimal(10), Decimal(30))
    assert values["lefs_mcid"] == Decimal(9)
    assert (values["nprs_mcid_points"], values["nprs_mcid_relative_pct"]) == (Decimal(2), Decimal(30))
    assert thresholds.mcid(values) == {key: Decimal(value) for key, value in MCID_DEFAULTS.items()}


def test_settings_page_lists_the_mcids(client, clinic_admin):
    client.force_login(clinic_admin)
    html = client.get(reverse("clinic_settings")).content.decode()
    for key in ("odi_mcid_points", "odi_mcid_relative_pct", "lefs_mcid", "nprs_mcid_points", "nprs_mcid_relative_pct"):
        assert f'name="{key}"' in html
    assert "LEFS: meaningful improvement of at least" in html
    assert "Binkley et al. 1999" in html


def test_settings_page_cites_the_literature_not_our_reference_or_issues(client, clinic_admin):
    client.force_login(clinic_admin)
    html = client.get(reverse("clinic_settings")).content.decode()
    assert "Nielsen 2014, JOSPT" in html  # the weekly distance threshold's source, S151
    assert not re.search(r"\bDOMAIN\b|\bB\d+\.\d+\b|\bS\d{1,3}\b|Part A|\bissue \d+", html)


def test_admin_changes_an_mcid(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    assert _post(client, lefs_mcid=12).status_code == 302
    assert thresholds.mcid(thresholds.for_clinic(clinic))["lefs_mcid"] == Decimal(12)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("odi_mcid_points", -10),
        ("odi_mcid_relative_pct", 500),
        ("lefs_mcid", 0),
        ("lefs_mcid", 1000),
        ("nprs_mcid_points", 11),
        ("nprs_mcid_relative_pct", -30),
    ],
)
def test_nonsense_mcids_are_refused(client, clinic_admin, clinic, key, value):
    client.force_login(clinic_admin)
    response = _post(client, **{key: value})
    assert response.status_code == 200
    assert not ClinicThreshold.objects.filter(clinic=clinic).exists()


@pytest.mark.parametrize(("key", "value"), [("odi_min_sections", 11), ("load_spike_pct", 50), ("intake_link_days", "")])
def test_out_of_range_values_are_refused_with_a_message(client, clinic_admin, clinic, key, value):
    client.force_login(clinic_admin)
    response = _post(client, **{key: value})
    assert response.status_code == 200
    assert "Please correct 1 problem" in response.content.decode()
    assert not ClinicThreshold.objects.filter(clinic=clinic).exists()


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_clinic_admin_changes_thresholds(client, request, clinic, role):
    client.force_login(request.getfixturevalue(role))
    assert _post(client, load_progression_pct=25).status_code == 403
    assert not ClinicThreshold.objects.exists()


def test_clinic_details_form_saves_consent_text(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    response = client.post(
        reverse("clinic_settings"),
        {
            "name": clinic.name,
            "time_zone": "America/Chicago",
            "accent_color": "#1d5c7a",
            "paper_size": "letter",
            "intake_consent_text": "Our own consent wording.",
            "cancellation_policy": "Cancel 48 hours ahead or pay a fee.",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "calendar_slot_minutes": "30",
            "email_handout_attachment": "on",
            "patient_change_notice_hours": "24",
            "patient_reschedule_horizon_days": "28",
            "save_clinic": "",
        },
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.intake_consent_text == "Our own consent wording."
    assert clinic.cancellation_policy == "Cancel 48 hours ahead or pay a fee."
    assert (clinic.quiet_hours_start, clinic.quiet_hours_end) == (datetime.time(22, 0), datetime.time(7, 30))
    assert clinic.email_handout_attachment is True
    assert clinic.calendar_slot_minutes == 30


def test_clinic_details_form_keeps_what_was_typed_when_quiet_hours_are_not_times(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    response = client.post(
        reverse("clinic_settings"),
        {
            "name": "Renamed Clinic",
            "time_zone": "America/Chicago",
            "accent_color": "#1d5c7a",
            "paper_size": "letter",
            "intake_consent_text": "Consent.",
            "quiet_hours_start": "late",
            "quiet_hours_end": "07:30",
            "patient_change_notice_hours": "24",
            "patient_reschedule_horizon_days": "28",
            "save_clinic": "",
        },
    )
    assert response.status_code == 200
    assert "Enter a valid time." in response.content.decode()
    assert 'value="Renamed Clinic"' in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.name != "Renamed Clinic"


def test_every_default_the_pure_rules_share_is_a_clinic_setting_with_that_value():
    for key, value in THRESHOLD_DEFAULTS.items():
        assert key in thresholds.BY_KEY, key
        assert thresholds.BY_KEY[key].default == Decimal(value), key
