"""Quiet hours: a due time inside the clinic's quiet window moves out of it, never past the visit."""

from __future__ import annotations

import datetime
import zoneinfo
from unittest import mock

import pytest

from clinic.outbox.quiet_hours import outside_quiet_hours

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = datetime.UTC
NIGHT = (datetime.time(21, 0), datetime.time(8, 0))
LUNCH = (datetime.time(12, 0), datetime.time(14, 0))
NONE = (datetime.time(0, 0), datetime.time(0, 0))


def local(month, day, hour, minute=0, year=2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("window", "due", "latest", "expected"),
    [
        pytest.param(NIGHT, local(12, 2, 15), None, local(12, 2, 15), id="afternoon: unchanged"),
        pytest.param(NIGHT, local(12, 2, 23, 30), None, local(12, 3, 8), id="late evening: next morning"),
        pytest.param(NIGHT, local(12, 3, 5), None, local(12, 3, 8), id="small hours: same morning"),
        pytest.param(NIGHT, local(12, 2, 21), None, local(12, 3, 8), id="the start is quiet"),
        pytest.param(NIGHT, local(12, 3, 8), None, local(12, 3, 8), id="the end is not quiet"),
        pytest.param(NIGHT, local(12, 3, 6, 30), local(12, 3, 8, 30), local(12, 3, 8), id="visit after the window"),
        pytest.param(
            NIGHT, local(12, 3, 5, 30), local(12, 3, 7, 30), local(12, 2, 20, 45), id="early visit: the evening before"
        ),
        pytest.param(
            NIGHT, local(12, 3, 6), local(12, 3, 8), local(12, 2, 20, 45), id="visit at the window end: evening before"
        ),
        # Spring forward on 8 March 2026: 08:00 is CDT (UTC-5), not CST.
        pytest.param(NIGHT, local(3, 7, 23), None, datetime.datetime(2026, 3, 8, 13, 0, tzinfo=UTC), id="spring dst"),
        # Fall back on 1 November 2026: 08:00 is CST (UTC-6).
        pytest.param(NIGHT, local(10, 31, 22), None, datetime.datetime(2026, 11, 1, 14, 0, tzinfo=UTC), id="fall dst"),
        pytest.param(
            (datetime.time(22, 0), datetime.time(2, 30)),
            local(3, 8, 1),
            None,
            datetime.datetime(2026, 3, 8, 8, 30, tzinfo=UTC),
            id="window end inside the spring-forward gap: just after it",
        ),
        pytest.param(LUNCH, local(12, 2, 13), None, local(12, 2, 14), id="daytime window"),
        pytest.param(LUNCH, local(12, 2, 11), None, local(12, 2, 11), id="before a daytime window"),
        pytest.param(NONE, local(12, 2, 3), None, local(12, 2, 3), id="equal times: no quiet hours"),
    ],
)
def test_outside_quiet_hours(window, due, latest, expected):
    start, end = window
    moved = outside_quiet_hours(due, start=start, end=end, zone=CHICAGO, latest=latest)
    assert moved == expected
    assert moved.tzinfo == UTC
    if latest is not None:
        assert moved < latest


def test_booking_places_reminders_outside_the_clinics_quiet_hours(front_desk, episode, clinician, clinic):
    from clinic.scheduling import services, visit_reminders

    assert (clinic.quiet_hours_start, clinic.quiet_hours_end) == NIGHT  # the product default
    tomorrow = datetime.datetime.now(CHICAGO).date() + datetime.timedelta(days=3)
    start = datetime.datetime.combine(tomorrow, datetime.time(9, 0), tzinfo=CHICAGO)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )
    due = dict(visit_reminders.of_visit(visit).values_list("kind", "due_at"))
    # 48 h before is 09:00 two days earlier (not quiet); 2 h before is 07:00, quiet, and moving
    # it to 08:00 still comes before the visit.
    assert due["first"] == start - datetime.timedelta(hours=48)
    assert due["second"] == datetime.datetime.combine(tomorrow, datetime.time(8, 0), tzinfo=CHICAGO)


def _book_at(front_desk, episode, clinician, start):
    from clinic.scheduling import services

    return services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )


def test_a_reminder_claimed_late_at_night_waits_for_the_morning(front_desk, episode, clinician, clinic):
    from django.core import mail

    from clinic.outbox import dispatch
    from clinic.outbox.models import MessageStatus, PatientMessage
    from clinic.scheduling import visit_reminders

    with mock.patch("django.utils.timezone.now", return_value=local(1, 12, 12, year=2027).astimezone(UTC)):
        visit = _book_at(front_desk, episode, clinician, local(1, 13, 10, year=2027))
    reminder = visit_reminders.of_visit(visit).get(kind="second")
    # As if claimed before an outage and only delivered once the broker came back, at 23:30.
    PatientMessage.objects.filter(pk=reminder.pk).update(
        status=MessageStatus.QUEUED, due_at=local(1, 12, 20, year=2027)
    )
    mail.outbox.clear()
    with mock.patch("django.utils.timezone.now", return_value=local(1, 12, 23, 30, year=2027).astimezone(UTC)):
        assert dispatch.deliver(message_id=reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at) == (MessageStatus.PENDING, local(1, 13, 8, year=2027))
    assert mail.outbox == []
    with mock.patch("django.utils.timezone.now", return_value=local(1, 13, 8, 1, year=2027).astimezone(UTC)):
        assert dispatch.dispatch_due() == 1
        assert dispatch.deliver(message_id=reminder.pk) is True
    assert len(mail.outbox) == 1


def test_a_reminder_whose_quiet_hours_last_until_the_visit_is_skipped(front_desk, episode, clinician, clinic):
    from clinic.outbox import dispatch
    from clinic.outbox.models import MessageStatus
    from clinic.scheduling import visit_reminders

    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()
    with mock.patch("django.utils.timezone.now", return_value=local(1, 12, 12, year=2027).astimezone(UTC)):
        visit = _book_at(front_desk, episode, clinician, local(1, 13, 7, 30, year=2027))
    reminder = visit_reminders.of_visit(visit).get(kind="second")
    assert reminder.due_at == local(1, 13, 5, 30, year=2027)
    clinic.quiet_hours_start, clinic.quiet_hours_end = NIGHT
    clinic.save()
    with mock.patch("django.utils.timezone.now", return_value=local(1, 13, 6, year=2027).astimezone(UTC)):
        assert dispatch.deliver(message_id=reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason) == (MessageStatus.SKIPPED, "Quiet hours lasted until the visit.")


@pytest.mark.parametrize(
    ("late_by", "sent"),
    [
        (datetime.timedelta(0), True),
        (datetime.timedelta(minutes=5), True),  # a sweep or queue a few minutes behind
        (datetime.timedelta(minutes=20), False),  # after an outage: inside the window, visit first
    ],
)
def test_a_reminder_moved_before_the_window_is_still_sent_a_few_minutes_late(
    front_desk, episode, clinician, clinic, late_by, sent
):
    from django.core import mail

    from clinic.outbox import dispatch
    from clinic.outbox.models import MessageStatus
    from clinic.scheduling import visit_reminders

    with mock.patch("django.utils.timezone.now", return_value=local(1, 12, 12, year=2027).astimezone(UTC)):
        visit = _book_at(front_desk, episode, clinician, local(1, 13, 7, 30, year=2027))
    reminder = visit_reminders.of_visit(visit).get(kind="second")
    # 2 h before is 05:30, quiet; 08:00 would be after the visit: the evening before instead.
    assert reminder.due_at == local(1, 12, 20, 45, year=2027)
    mail.outbox.clear()
    with mock.patch("django.utils.timezone.now", return_value=(reminder.due_at + late_by).astimezone(UTC)):
        assert dispatch.dispatch_due() == 1
        assert dispatch.deliver(message_id=reminder.pk) is sent
    reminder.refresh_from_db()
    assert reminder.status == (MessageStatus.SENT if sent else MessageStatus.SKIPPED)
    assert len(mail.outbox) == int(sent)
