"""The adherence loop: the patient ticks off a day's exercises and rates pain in the portal;
the clinician sees adherence and the pain trend on the episode page, the front desk does not."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.portal import services
from clinic.portal.models import HomeProgramCheckIn, PortalLink
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def program(episode):
    # Signed three days ago in the clinic's calendar, so earlier days can be logged.
    return signed_version(
        episode,
        [home_item("Glute bridge"), home_item("Side plank"), home_item("Hip-flexor stretch")],
        signed_at=timezone.now() - datetime.timedelta(days=3),
    )


@pytest.fixture
def portal(patient) -> str:
    return urlsplit(services.link_issue(patient=patient)).path


def _today(patient) -> datetime.date:
    return timezone.localdate(timezone.now(), patient.clinic.zone)


def _log(client, portal, version, day, done=(), pain=None):
    data = {f"v{version.pk}-day": day.isoformat(), f"v{version.pk}-done_items": [str(index) for index in done]}
    if pain is not None:
        data[f"v{version.pk}-pain"] = str(pain)
    return client.post(f"{portal}programs/{version.pk}/log/", data)


def _page(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_home_page_offers_todays_log_with_a_checkbox_per_exercise_and_a_pain_scale(client, portal, program):
    page = _page(client.get(portal))
    assert f'action="{portal}programs/{program.pk}/log/"' in page
    for index in range(3):
        assert f'type="checkbox" name="v{program.pk}-done_items" value="{index}"' in page
    for pain in range(11):
        assert f'type="radio" name="v{program.pk}-pain" value="{pain}"' in page
    assert "<legend>Your pain that day</legend>" in page


def test_ticking_today_saves_one_row_and_a_second_save_updates_it(client, patient, portal, program):
    today = _today(patient)
    response = _log(client, portal, program, today, done=[0, 2], pain=3)
    assert response.status_code == 302
    assert response["Location"] == f"{portal}programs/{program.pk}/log/?day={today:%Y-%m-%d}"
    assert "Saved your log" in _page(client.get(response["Location"]))
    _log(client, portal, program, today, done=[1], pain=2)
    check_in = HomeProgramCheckIn.objects.get()
    assert (check_in.version, check_in.day, check_in.done_items, check_in.pain) == (program, today, [1], 2)
    assert list(
        AuditEvent.objects.filter(patient_id=patient.pk, action__startswith="portal.check_in")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["portal.check_in_created", "portal.check_in_updated"]


def test_the_saved_day_is_shown_ticked(client, patient, portal, program):
    today = _today(patient)
    _log(client, portal, program, today, done=[1], pain=4)
    page = _page(client.get(portal))
    assert re.search(rf'name="v{program.pk}-done_items" value="1"[^>]*checked', page)
    assert not re.search(rf'name="v{program.pk}-done_items" value="0"[^>]*checked', page)
    assert re.search(rf'name="v{program.pk}-pain" value="4"[^>]*checked', page)


def test_yesterday_can_be_fixed(client, patient, portal, program):
    yesterday = _today(patient) - datetime.timedelta(days=1)
    page = _page(client.get(f"{portal}programs/{program.pk}/log/?day={yesterday:%Y-%m-%d}"))
    assert f"Your log for {yesterday:%A} {yesterday.day} {yesterday:%B}" in page
    assert _log(client, portal, program, yesterday, done=[0], pain=5).status_code == 302
    assert HomeProgramCheckIn.objects.get().day == yesterday


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (1, "You cannot log a day that has not happened yet."),
        (-4, "This home program started later than that day."),
    ],
)
def test_days_outside_the_window_are_refused_and_what_was_ticked_is_kept(
    client, patient, portal, program, offset, message
):
    day = _today(patient) + datetime.timedelta(days=offset)
    response = _log(client, portal, program, day, done=[2], pain=6)
    assert response.status_code == 200
    page = _page(response)
    assert message in page
    assert re.search(rf'name="v{program.pk}-done_items" value="2"[^>]*checked', page)
    assert re.search(rf'name="v{program.pk}-pain" value="6"[^>]*checked', page)
    assert not HomeProgramCheckIn.objects.exists()


def test_more_than_a_week_back_is_refused(client, patient, portal, episode):
    old = signed_version(episode, [home_item("Glute bridge")], signed_at=timezone.now() - datetime.timedelta(days=10))
    day = _today(patient) - datetime.timedelta(days=7)
    assert "You can fix your log for the last 7 days only." in _page(_log(client, portal, old, day, done=[0]))
    assert not HomeProgramCheckIn.objects.exists()


def test_after_the_plans_weeks_nothing_more_is_logged(client, patient, portal, episode):
    ended = signed_version(
        episode, [home_item("Glute bridge")], weeks=1, signed_at=timezone.now() - datetime.timedelta(days=9)
    )
    today = _today(patient)
    assert "This home program had ended by that day." in _page(_log(client, portal, ended, today, done=[0]))
    assert "Today's log" not in _page(client.get(portal))
    # Its last day can still be fixed within the week.
    last_day = today - datetime.timedelta(days=3)
    assert _log(client, portal, ended, last_day, done=[0]).status_code == 302


@pytest.mark.parametrize(
    ("pain", "done", "message"),
    [
        ("11", ["0"], "Select a valid choice. 11 is not one of the available choices."),
        ("x", ["0"], "Select a valid choice."),
        ("3", ["7"], "Select a valid choice. 7 is not one of the available choices."),
    ],
)
def test_bad_input_is_a_form_error_not_a_500(client, patient, portal, program, pain, done, message):
    response = client.post(
        f"{portal}programs/{program.pk}/log/",
        {
            f"v{program.pk}-day": _today(patient).isoformat(),
            f"v{program.pk}-done_items": done,
            f"v{program.pk}-pain": pain,
        },
    )
    assert response.status_code == 200
    assert message in _page(response)
    assert not HomeProgramCheckIn.objects.exists()


@pytest.mark.parametrize("day", ["yesterday", "2026-02-30", "9999-99-99"])
def test_an_unreadable_day_in_the_address_shows_today(client, patient, portal, program, day):
    response = client.get(f"{portal}programs/{program.pk}/log/?day={day}")
    assert response.status_code == 200
    page = _page(response)
    assert "That date could not be read. Showing today instead." in page
    assert f'value="{_today(patient).isoformat()}"' in page


def test_a_replaced_version_is_not_logged_any_more(client, portal, episode, program):
    signed_version(episode, [home_item("Clamshell")], plan=program.plan)
    response = _log(client, portal, program, timezone.localdate(), done=[0])
    assert response.status_code == 302
    assert response["Location"] == portal
    assert not HomeProgramCheckIn.objects.exists()


def test_today_is_the_clinics_day(client, monkeypatch, patient, portal, episode):
    clinic = patient.clinic
    clinic.time_zone = "Pacific/Kiritimati"  # UTC+14: already tomorrow when it is 11:00 UTC
    clinic.save()
    now = datetime.datetime(2026, 3, 5, 11, 0, tzinfo=datetime.UTC)
    version = signed_version(episode, [home_item("Glute bridge")], signed_at=now - datetime.timedelta(days=2))
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert _log(client, portal, version, datetime.date(2026, 3, 7), done=[0]).status_code == 200
    assert _log(client, portal, version, datetime.date(2026, 3, 6), done=[0]).status_code == 302
    assert HomeProgramCheckIn.objects.get().day == datetime.date(2026, 3, 6)


def test_the_database_refuses_two_rows_for_one_day_and_pain_above_10(program):
    day = timezone.localdate()
    HomeProgramCheckIn.objects.create(version=program, day=day, done_items=[0], pain=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeProgramCheckIn.objects.create(version=program, day=day)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeProgramCheckIn.objects.create(version=program, day=day - datetime.timedelta(days=1), pain=11)


# --- What the clinician sees ------------------------------------------------------------------------


def _log_section(client, episode) -> str:
    page = client.get(f"/episodes/{episode.pk}/").content.decode()
    match = re.search(r'<section aria-labelledby="home-log-h">.*?</section>', page, re.S)
    return " ".join(match.group(0).split()) if match else ""


def test_the_clinician_sees_adherence_and_the_pain_trend(client, clinician, patient, episode):
    today = _today(patient)
    first_day = today - datetime.timedelta(days=15)
    version = signed_version(
        episode,
        [home_item("Glute bridge"), home_item("Side plank", frequency="as needed")],
        weeks=4,
        signed_at=timezone.make_aware(datetime.datetime.combine(first_day, datetime.time(12)), patient.clinic.zone),
    )
    # Days 0-3 done with pain 6, 5, 6, 5; days 10-13 done with pain 2; today not logged.
    for offset, pain in [(0, 6), (1, 5), (2, 6), (3, 5), (10, 2), (11, 2), (12, 2), (13, 2)]:
        HomeProgramCheckIn.objects.create(
            version=version, day=first_day + datetime.timedelta(days=offset), done_items=[0], pain=pain
        )
    client.force_login(clinician)
    section = _log_section(client, episode)
    # 15 past days due (today is not over), 8 done: 53 %.
    assert "<strong>53 %</strong> of prescribed sessions (8 of 15 due so far)" in section
    assert "1 item without a readable frequency not counted" in section
    assert "first week's average 5.5, latest week's 2.0 (change -3.5)" in section
    assert 'role="img" aria-label="Daily pain logged by the patient, 0 to 10"' in section
    assert "1 of 2" in section


def test_without_logs_the_clinician_sees_an_empty_state(client, clinician, episode, program):
    client.force_login(clinician)
    assert "The patient has not logged any exercises in the portal yet." in _log_section(client, episode)


def test_the_front_desk_does_not_see_the_log(client, front_desk, episode, program):
    HomeProgramCheckIn.objects.create(version=program, day=timezone.localdate(), done_items=[0], pain=7)
    client.force_login(front_desk)
    response = client.get(f"/episodes/{episode.pk}/")
    assert response.status_code == 200
    assert _log_section(client, episode) == ""
    assert "Home program log" not in response.content.decode()


def test_the_episode_page_query_count_does_not_grow_with_versions_and_logs(
    client, clinician, episode, django_assert_max_num_queries
):
    client.force_login(clinician)
    program = signed_version(episode, [home_item("Glute bridge")], signed_at=timezone.now())
    HomeProgramCheckIn.objects.create(version=program, day=timezone.localdate(), done_items=[0], pain=3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/episodes/{episode.pk}/").status_code == 200
    for _ in range(3):
        newer = signed_version(episode, [home_item("Side plank")], plan=program.plan, signed_at=timezone.now())
        for offset in range(10):
            HomeProgramCheckIn.objects.create(
                version=newer, day=timezone.localdate() - datetime.timedelta(days=offset), done_items=[0], pain=3
            )
    with django_assert_max_num_queries(len(few)):
        page = client.get(f"/episodes/{episode.pk}/").content.decode()
    assert "Plan version 4" in page


def test_a_blank_log_is_refused_beside_the_exercises_and_nothing_is_stored(client, patient, portal, program):
    response = _log(client, portal, program, _today(patient))
    assert response.status_code == 200
    page = _page(response)
    assert (
        f'<p class="field-error" id="id_v{program.pk}-done_items_errors">'
        "Tick the exercises you did, or “I did none of them”, or choose your pain score.</p>"
    ) in page
    assert not HomeProgramCheckIn.objects.exists()


def test_i_did_none_stores_zero_done_and_is_shown_ticked_again(client, patient, portal, program):
    today = _today(patient)
    data = {f"v{program.pk}-day": today.isoformat(), f"v{program.pk}-did_none": "on"}
    assert client.post(f"{portal}programs/{program.pk}/log/", data).status_code == 302
    check_in = HomeProgramCheckIn.objects.get()
    assert (check_in.day, check_in.done_items, check_in.pain) == (today, [], None)
    page = _page(client.get(f"{portal}programs/{program.pk}/log/?day={today:%Y-%m-%d}"))
    assert re.search(rf'name="v{program.pk}-did_none"[^>]*checked', page)


def test_none_done_and_exercises_ticked_together_is_refused(client, patient, portal, program):
    data = {
        f"v{program.pk}-day": _today(patient).isoformat(),
        f"v{program.pk}-did_none": "on",
        f"v{program.pk}-done_items": ["1"],
    }
    page = _page(client.post(f"{portal}programs/{program.pk}/log/", data))
    assert "You ticked exercises you did and “I did none of them”; untick one of them." in page
    assert re.search(rf'name="v{program.pk}-done_items" value="1"[^>]*checked', page)
    assert not HomeProgramCheckIn.objects.exists()


def test_a_pain_score_alone_is_an_answer(client, patient, portal, program):
    assert _log(client, portal, program, _today(patient), pain=4).status_code == 302
    assert HomeProgramCheckIn.objects.get().pain == 4


def test_the_service_refuses_a_blank_log_too(patient, portal, program):
    link = PortalLink.objects.get(patient=patient)
    with pytest.raises(ValidationError, match="Tick the exercises you did"):
        services.check_in_save(link=link, version=program, day=_today(patient), done_items=[], pain=None)
    assert not HomeProgramCheckIn.objects.exists()
