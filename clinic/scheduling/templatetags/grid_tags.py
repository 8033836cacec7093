"""The time grid's rows and tracks, built in Python.

A day of five clinicians is some eighty visits, their free times and shaded bands, each a list
item of a dozen values; through the template each value was a lookup, a filter and an escape, a
visit link a URL reversal, and the grid's row classes a loop over every row: rendering them was
most of the day and week views' time. The markup is what ``includes/time_grid.html`` wrote.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe

from clinic.scheduling import grid, selectors, tracks
from clinic.scheduling.models import AppointmentStatus

register = template.Library()

# Reversed once per page: a visit's links are these with its id in place of the marker.
_MARKER = 987654321


def _escaped(value) -> str:
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _clock(moment) -> str:
    """As ``{{ moment|time:"H:i" }}`` writes an aware time: in the current time zone."""
    return f"{timezone.localtime(moment):%H:%M}"


@register.simple_tag
def grid_style(rows: grid.Rows, now: dict | None) -> SafeString:
    """The rules placing items on rows (``r<n>``: starts on row n, ``s<n>``: spans n rows) and the
    current time's line: the page's policy refuses ``style=""`` attributes."""
    lines = [f".cal-track, .cal-axis {{ grid-template-rows: repeat({rows.count}, var(--cal-row)); }}\n"]
    lines.extend(
        f".cal .r{row} {{ grid-row-start: {row}; }} .cal .s{row} {{ grid-row-end: span {row}; }}\n"
        for row in range(1, rows.count + 1)
    )
    if now:
        lines.append(
            f".cal .cal-now {{ grid-row-start: {now['row']}; margin-top: calc(var(--cal-row) * {now['offset']:.3f}); }}"
        )
    return mark_safe("".join(lines))  # noqa: S308 - numbers only


class _Links:
    def __init__(self):
        self.visit = reverse("schedule_visit", args=[_MARKER]).split(str(_MARKER))
        self.move = reverse("schedule_visit_move", args=[_MARKER]).split(str(_MARKER))
        self.book = reverse("schedule_book")

    def of(self, parts: list[str], pk: int) -> str:
        return f"{parts[0]}{pk}{parts[1]}"


def _visit(item: tracks.Block, links: _Links, reminders: bool, zone) -> str:
    visit = item.visit
    status = visit.status
    move = ""
    if item.movable:
        move = f' data-move="{_escaped(links.of(links.move, visit.pk))}" data-span="{item.span}"'
    if status == AppointmentStatus.CANCELLED:
        state = "<strong>Cancelled</strong>"
        if visit.cancel_reason:
            state += f": {_escaped(visit.cancel_reason)}"
    else:
        state = _escaped(visit.get_status_display())
    if visit.override_reason:
        state += f" · outside hours: {_escaped(visit.override_reason)}"
    reminder = ""
    if reminders and status == AppointmentStatus.BOOKED:
        line = _escaped(selectors.visit_reminder_line(visit, zone))
        reminder = f'\n        <span class="cal-meta reminder-status">{line}</span>'
    return (
        f'\n      <li class="cal-visit r{item.row} s{item.span} l{item.lane} status-{_escaped(status)}"'
        f' id="visit-{visit.pk}"{move}>'
        f'\n        <a href="{_escaped(links.of(links.visit, visit.pk))}"><span class="cal-when">'
        f"{_clock(item.start)}–{_clock(item.end)}</span>"
        f" <strong>{_escaped(visit.episode.patient.full_name)}</strong></a>"
        f'\n        <span class="cal-meta">{_escaped(visit.get_kind_display())} · {state}</span>{reminder}'
        "\n      </li>"
    )


def _band(item: tracks.Band, track: tracks.Track) -> str:
    if item.kind == "time-off":
        words = f"Time off {_clock(item.start)}–{_clock(item.end)}"
        if item.reason:
            words += f" ({_escaped(item.reason)})"
    elif track.has_hours:
        end = "24:00" if item.end.day != item.start.day else _clock(item.end)
        words = f"Not working {_clock(item.start)}–{end}"
    else:
        words = "No working hours set"
    return f'\n      <li class="cal-band cal-{_escaped(item.kind)} r{item.row} s{item.span}">{words}</li>'


@register.simple_tag
def grid_items(track: tracks.Track, counter: int, *, reminders: bool = False, now: dict | None = None) -> SafeString:
    """The list items of one track, in time order, and the current time's line on today's."""
    links = _Links()
    zone = timezone.get_current_timezone()
    parts = []
    for item in track.items():
        if item.kind == "visit":
            parts.append(_visit(item, links, reminders, zone))
        elif item.kind == "free":
            start = _escaped(quote(item.iso, safe=":"))
            parts.append(
                f'\n      <li class="cal-free r{item.row} s1"><a href="{links.book}?clinician={track.clinician.pk}'
                f'&amp;start={start}">Book {item.clock}</a></li>'
            )
        else:
            parts.append(_band(item, track))
    if now and track.today:
        parts.append(
            f'\n      <li class="cal-now" id="now-{counter}"><span class="visually-hidden">Now, {_clock(now["time"])}'
            "</span></li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


@register.simple_tag
def week_cell(clinician, column, visits: list[dict], free: list) -> SafeString:
    """One clinician's day in the clinic's week: each visit's time and surname, then the first
    free time to book and how many there are."""
    links = _Links()
    parts = [
        f'<div class="week-visit status-{_escaped(visit["status"])}">{_escaped(visit["clock"])} '
        f'<a href="{_escaped(links.of(links.visit, visit["pk"]))}">{_escaped(visit["last_name"])}</a>'
        + (' <span class="muted">(cancelled)</span>' if visit["cancelled"] else "")
        + "</div>"
        for visit in visits
    ] or ['<span class="muted">No visits</span>']
    if free:
        first = timezone.localtime(free[0].start)
        whose = (
            f'<span class="visually-hidden"> with {_escaped(clinician.full_name)},'
            f" {dateformat.format(column, 'D j M')}</span>"
        )
        count = len(free)
        parts.append(
            f'\n        <p class="week-free"><a href="{links.book}?clinician={clinician.pk}&amp;start='
            f'{_escaped(quote(first.isoformat(), safe=":"))}">Book {first:%H:%M}{whose}</a>'
            f'\n        <a href="{reverse("schedule_day")}?day={column:%Y-%m-%d}&amp;clinician={clinician.pk}">'
            f"{count} free time{'' if count == 1 else 's'}{whose}</a></p>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
