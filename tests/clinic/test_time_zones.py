"""The clinic's time-zone choices: canonical zones only, grouped by area, the clinic's own
country's first; a zone stored before (even an alias) stays valid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinic import time_zones
from clinic.forms import ClinicSettingsForm

ALIASES = ["US/Central", "EST5EDT", "Etc/GMT+5", "America/Buenos_Aires", "Asia/Calcutta", "GB", "Factory"]


@pytest.fixture(autouse=True)
def _fresh_tables():
    for cached in (time_zones.country_zones, time_zones.country_names, time_zones.canonical_zones):
        cached.cache_clear()
    yield
    for cached in (time_zones.country_zones, time_zones.country_names, time_zones.canonical_zones):
        cached.cache_clear()


def _values(choices) -> list[str]:
    values = []
    for value, label in choices:
        values += [inner for inner, _ in label] if isinstance(label, list) else [value]
    return values


def _groups(choices) -> dict[str, list[str]]:
    return {group: [value for value, _ in options] for group, options in choices if isinstance(options, list)}


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("America/Chicago", True),
        ("America/Argentina/Buenos_Aires", True),
        ("UTC", True),
        ("US/Central", False),
        ("EST5EDT", False),
        ("Etc/GMT+5", False),
        ("Arctic/Longyearbyen", False),
        ("GMT", False),
    ],
)
def test_is_canonical_by_the_area_rule(name, canonical):
    assert time_zones.is_canonical(name) is canonical


def test_a_us_clinic_sees_its_countrys_zones_first_then_each_area_and_no_aliases():
    choices = time_zones.choices("US")
    values = _values(choices)
    groups = _groups(choices)
    assert next(iter(groups)) == "United States"
    assert {"America/New_York", "America/Chicago", "America/Denver", "Pacific/Honolulu"} <= set(groups["United States"])
    assert "America/Chicago" not in groups["America"]
    assert list(groups)[1:] == list(time_zones.AREAS)
    assert "Europe/London" in groups["Europe"]
    assert "UTC" in values
    assert len(values) == len(set(values))
    for alias in ALIASES:
        assert alias not in values
    assert len(values) < 450
    assert ("America/Argentina/Buenos_Aires", "Argentina / Buenos Aires") in dict(choices)["America"]


def test_without_the_tables_the_area_rule_alone_applies(monkeypatch):
    monkeypatch.setattr(time_zones, "_tab_lines", lambda name: [])
    choices = time_zones.choices("US")
    values = _values(choices)
    assert "America/Chicago" in values
    assert "US/Central" not in values
    assert "EST5EDT" not in values
    assert list(_groups(choices)) == list(time_zones.AREAS)


@pytest.mark.django_db
def test_the_settings_form_offers_the_clinics_country_from_its_phone(clinic):
    clinic.phone = "+442071838750"
    field = ClinicSettingsForm(instance=clinic).fields["time_zone"]
    assert next(iter(_groups(field.choices))) == "Britain (UK)"


@pytest.mark.django_db
def test_a_stored_alias_stays_valid_and_shown_but_no_other_alias_is(clinic):
    clinic.time_zone = "US/Central"
    clinic.save(update_fields=["time_zone"])
    data = {"name": clinic.name, "time_zone": "US/Central", "accent_color": "#1d5c7a", "paper_size": "letter"}
    data |= {"patient_change_notice_hours": "24", "patient_reschedule_horizon_days": "28"}
    data |= {"intake_consent_text": "Consent.", "quiet_hours_start": "21:00", "quiet_hours_end": "08:00"}
    form = ClinicSettingsForm(data, instance=clinic)
    assert form.is_valid(), form.errors
    assert _groups(form.fields["time_zone"].choices)["Current setting"] == ["US/Central"]
    other = ClinicSettingsForm(data | {"time_zone": "EST5EDT"}, instance=clinic)
    assert not other.is_valid()
    assert "time_zone" in other.errors


@pytest.mark.django_db
def test_the_settings_page_groups_the_zones(client, clinic_admin):
    client.force_login(clinic_admin)
    page = client.get(reverse("clinic_settings")).content.decode()
    assert '<optgroup label="United States">' in page
    assert '<option value="America/Chicago" selected>Chicago</option>' in page
    assert 'value="US/Central"' not in page
