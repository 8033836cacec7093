"""iCalendar (.ics) files for appointment confirmations, made with the icalendar library.

The UID is stable per appointment and SEQUENCE rises with every change, so a calendar
application updates or removes the same event instead of adding another.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from django.conf import settings

from clinic.scheduling.models import Appointment, AppointmentStatus

if TYPE_CHECKING:
    from icalendar import Calendar, Event


def _component(name: str):
    # icalendar (some 3 MiB) is imported when a file is first made, not by every web and
    # Celery process that loads the URLs.
    return getattr(importlib.import_module("icalendar"), name)()


def uid(appointment: Appointment) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "clinic"
    return f"appointment-{appointment.pk}@{host}"


def one_line(address: str) -> str:
    """An address typed on several lines (a browser sends CR LF), as one line for a calendar's LOCATION."""
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def _event(appointment: Appointment) -> Event:
    clinic = appointment.episode.patient.clinic
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    event = _component("Event")
    event.add("uid", uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", appointment.created_at)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{appointment.get_kind_display()} at {clinic.name}")
    event.add("location", one_line(clinic.address) or clinic.name)
    event.add("description", f"With {appointment.clinician.full_name}. To change it, contact {clinic.name}.")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _calendar(method: str) -> Calendar:
    calendar = _component("Calendar")
    calendar.add("prodid", "-//Stride clinic//appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def appointment_ics(appointment: Appointment) -> bytes:
    calendar = _calendar("CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "PUBLISH")
    calendar.add_component(_event(appointment))
    return calendar.to_ical()


def series_ics(appointments) -> bytes:
    """One file with every visit of a series, each its own event (its own UID and SEQUENCE), so a
    later change to one visit updates that event alone."""
    calendar = _calendar("PUBLISH")
    for appointment in appointments:
        calendar.add_component(_event(appointment))
    return calendar.to_ical()


def feed_ics(visits) -> bytes:
    """A clinician's upcoming visits for a calendar subscription.

    Calendar apps sync to phones and third-party servers, so events carry the visit kind and
    the episode number only: no patient name or other health detail.
    """
    calendar = _component("Calendar")
    calendar.add("prodid", "-//Stride clinic//clinician feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Clinic visits")
    for visit in visits:
        event = _component("Event")
        event.add("uid", uid(visit))
        event.add("sequence", visit.sequence)
        event.add("dtstamp", visit.created_at)
        event.add("dtstart", visit.starts_at)
        event.add("dtend", visit.ends_at)
        event.add("summary", f"{visit.get_kind_display()} (episode {visit.episode_id})")
        calendar.add_component(event)
    return calendar.to_ical()
