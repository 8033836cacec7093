"""Each episode's latest attended visit (``EpisodeOfCare.last_attended_at``) follows its visits:
booked, checked in, completed, cancelled, missed, moved or deleted, one UPDATE when it can change
and none when it cannot."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from clinic.models import EpisodeOfCare
from clinic.scheduling import last_attended, services
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
BOOKED, CHECKED_IN, COMPLETED = AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED
NO_SHOW = AppointmentStatus.NO_SHOW

# The visits of the table, each at its own time: "a" before "b", "later" after both.
STARTS = {
    "a": datetime.datetime(2026, 11, 2, 9, tzinfo=CHICAGO),
    "b": datetime.datetime(2026, 11, 3, 9, tzinfo=CHICAGO),
    "later": datetime.datetime(2026, 11, 4, 9, tzinfo=CHICAGO),
}


@pytest.mark.parametrize(
    ("created", "attended", "update_fields", "expected"),
    [
        (True, False, None, False),  # a visit booked
        (True, True, None, True),  # a visit recorded as already seen
        (False, False, None, True),  # a whole save: any field may have changed
        (False, False, {"status", "updated_at"}, True),
        (False, True, {"starts_at", "ends_at"}, True),
        (False, False, {"episode"}, True),
        (False, True, {"confirmed_at"}, False),
        (False, False, {"cancel_reason", "sequence"}, False),
        (False, True, set(), False),
    ],
)
def test_which_saves_may_change_the_latest_attended_visit(created, attended, update_fields, expected):
    assert last_attended.may_change(created=created, attended=attended, update_fields=update_fields) is expected


@pytest.fixture
def working_clinician(clinician):
    for weekday in range(5):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    return clinician


def _apply(steps, *, front_desk, episode, clinician) -> dict[str, Appointment]:
    visits: dict[str, Appointment] = {}
    for action, name, *value in steps:
        if action == "book":
            visits[name] = services.appointment_book(
                actor=front_desk, episode=episode, clinician=clinician, starts_at=STARTS[name]
            )
        elif action == "status":
            services.appointment_set_status(actor=front_desk, appointment=visits[name], status=value[0])
        elif action == "cancel":
            services.appointment_cancel(actor=front_desk, appointment=visits[name], reason="Patient called")
        elif action == "reschedule":
            services.appointment_reschedule(actor=front_desk, appointment=visits[name], starts_at=STARTS[value[0]])
        elif action == "correct_start":  # the admin corrects the time of a visit that happened
            visit = visits[name]
            visit.starts_at, visit.ends_at = STARTS[value[0]], STARTS[value[0]] + datetime.timedelta(minutes=30)
            visit.save()
        elif action == "delete":
            visits.pop(name).delete()
    return visits


@pytest.mark.parametrize(
    ("steps", "latest"),
    [
        pytest.param([("book", "a")], None, id="booked"),
        pytest.param([("book", "a"), ("status", "a", CHECKED_IN)], "a", id="checked in"),
        pytest.param([("book", "a"), ("status", "a", COMPLETED)], "a", id="completed"),
        pytest.param(
            [("book", "a"), ("book", "b"), ("status", "a", COMPLETED), ("status", "b", COMPLETED)],
            "b",
            id="the later of two completed",
        ),
        pytest.param([("book", "a"), ("status", "a", NO_SHOW)], None, id="no-show"),
        pytest.param(
            [("book", "a"), ("status", "a", COMPLETED), ("book", "b"), ("status", "b", NO_SHOW)],
            "a",
            id="a no-show after a visit",
        ),
        pytest.param([("book", "a"), ("status", "a", COMPLETED), ("book", "b"), ("cancel", "b")], "a", id="cancelled"),
        pytest.param([("book", "a"), ("status", "a", CHECKED_IN), ("status", "a", BOOKED)], None, id="check-in undone"),
        pytest.param(
            [("book", "a"), ("status", "a", COMPLETED), ("book", "b"), ("reschedule", "b", "later")],
            "a",
            id="a booked visit rescheduled",
        ),
        pytest.param(
            [("book", "a"), ("status", "a", COMPLETED), ("correct_start", "a", "later")],
            "a",
            id="an attended visit's start corrected",
        ),
        pytest.param(
            [("book", "a"), ("book", "b"), ("status", "a", COMPLETED), ("status", "b", COMPLETED), ("delete", "b")],
            "a",
            id="the latest deleted",
        ),
        pytest.param([("book", "a"), ("status", "a", COMPLETED), ("delete", "a")], None, id="the only one deleted"),
    ],
)
def test_the_episode_stores_its_latest_attended_visit(front_desk, episode, working_clinician, steps, latest):
    visits = _apply(steps, front_desk=front_desk, episode=episode, clinician=working_clinician)
    expected = None if latest is None else Appointment.objects.get(pk=visits[latest].pk).starts_at
    episode.refresh_from_db()
    assert episode.last_attended_at == expected


@pytest.mark.parametrize(
    ("statuses", "attended"),
    [
        ([CHECKED_IN], True),
        ([COMPLETED], True),
        ([NO_SHOW], False),
        ([CHECKED_IN, COMPLETED], True),
        ([CHECKED_IN, BOOKED], False),
        ([COMPLETED, CHECKED_IN], True),
        ([NO_SHOW, BOOKED], False),
        ([NO_SHOW, BOOKED, COMPLETED], True),
    ],
)
def test_each_status_change_keeps_the_latest_attended_visit(front_desk, episode, working_clinician, statuses, attended):
    visit = _apply([("book", "a")], front_desk=front_desk, episode=episode, clinician=working_clinician)["a"]
    for status in statuses:
        services.appointment_set_status(actor=front_desk, appointment=visit, status=status)
    episode.refresh_from_db()
    assert episode.last_attended_at == (STARTS["a"] if attended else None)


def test_a_visit_moved_to_another_episode_moves_its_date(episode, clinician):
    visit = AppointmentFactory(episode=episode, starts_at=STARTS["a"], status=COMPLETED)
    other = EpisodeFactory(patient=episode.patient, lead_clinician=clinician)
    visit = Appointment.objects.get(pk=visit.pk)
    visit.episode = other
    visit.save()
    assert EpisodeOfCare.objects.get(pk=episode.pk).last_attended_at is None
    assert EpisodeOfCare.objects.get(pk=other.pk).last_attended_at == STARTS["a"]


def test_the_episodes_version_and_signals_stay_as_they_were(episode, clinician):
    before = EpisodeOfCare.objects.get(pk=episode.pk).updated_at
    AppointmentFactory(episode=episode, starts_at=STARTS["a"], status=COMPLETED)
    after = EpisodeOfCare.objects.get(pk=episode.pk)
    assert (after.last_attended_at, after.updated_at) == (STARTS["a"], before)


def test_saves_that_cannot_change_it_write_nothing_more(episode, django_assert_num_queries):
    with django_assert_num_queries(1):  # the INSERT alone: a visit booked ahead was not attended
        visit = AppointmentFactory(episode=episode)
    with django_assert_num_queries(1):
        visit.save(update_fields=["confirmed_at"])
    with django_assert_num_queries(2):  # the visit's UPDATE and the episode's
        visit.status = COMPLETED
        visit.save(update_fields=["status"])


def test_a_refresh_is_one_statement_for_any_number_of_episodes(episode, clinician, django_assert_num_queries):
    others = [EpisodeFactory(patient=episode.patient, lead_clinician=clinician) for _ in range(3)]
    visits = [
        Appointment(episode=row, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30))
        for row, start in zip([episode, *others], STARTS.values(), strict=False)
    ]
    for visit in visits:
        visit.status = COMPLETED
    Appointment.objects.bulk_create(visits)
    assert not EpisodeOfCare.objects.filter(last_attended_at__isnull=False).exists()  # bulk_create sends no signals
    with django_assert_num_queries(1):
        assert last_attended.refresh() == 4
    stored = dict(EpisodeOfCare.objects.values_list("pk", "last_attended_at"))
    assert stored == {
        episode.pk: STARTS["a"],
        others[0].pk: STARTS["b"],
        others[1].pk: STARTS["later"],
        others[2].pk: None,
    }
