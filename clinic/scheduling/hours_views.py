"""Clinicians' working hours, changes of hours on given dates and time off, under Clinic settings.

The clinic admin edits; the front desk and clinicians, who book against these hours, read them.
Each clinician's page ends with the coming week as the booking rules see it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import access, permissions, plausible_dates, selectors, text_input
from clinic.scheduling import hours_services, rules
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import HoursException, TimeOff, WorkingHours, overlap_message

WEEKDAYS = WorkingHours._meta.get_field("weekday").choices
PREVIEW_DAYS = 7


def _require_viewer(request: HttpRequest) -> None:
    if not permissions.can_view_working_hours(request.user):
        raise PermissionDenied


def _require_editor(request: HttpRequest) -> None:
    if not permissions.can_edit_working_hours(request.user):
        raise PermissionDenied


def _today(clinician) -> datetime.date:
    return timezone.localdate(timezone.now(), clinician.clinic.zone)


def _plausible(day: datetime.date | None) -> None:
    if day is not None and (problem := plausible_dates.problem(day, timezone.localdate())):
        raise ValidationError(problem)


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


# --- Forms ---------------------------------------------------------------------------------


class WindowForm(text_input.Form):
    """One weekly window; a row left blank is ignored, a row marked for removal is dropped."""

    weekday = forms.TypedChoiceField(label="Day", choices=[("", "Choose a day"), *WEEKDAYS], coerce=int, required=False)
    start = forms.TimeField(label="From", required=False, widget=_time_input())
    end = forms.TimeField(label="Until", required=False, widget=_time_input())

    def clean(self):
        cleaned = super().clean()
        weekday, start, end = (cleaned.get(name) for name in ("weekday", "start", "end"))
        given = [value for value in (weekday, start, end) if value not in (None, "")]
        if not given or self.errors:
            return cleaned
        if weekday in (None, ""):
            self.add_error("weekday", "Choose the day this window is on.")
        if start is None:
            self.add_error("start", "Give the time work starts.")
        if end is None:
            self.add_error("end", "Give the time work ends.")
        if start is not None and end is not None and end <= start:
            self.add_error("end", "The end must be after the start (a window cannot run past midnight).")
        return cleaned

    def window(self) -> hours_services.Window | None:
        cleaned = self.cleaned_data
        if cleaned.get("DELETE") or cleaned.get("start") is None:
            return None
        return hours_services.Window(cleaned["weekday"], cleaned["start"], cleaned["end"])


class BaseWeekFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this window"

    def clean(self):
        if any(self.errors):
            return
        by_day: dict[int, list[WindowForm]] = {}
        for form in self.forms:
            if form.window() is not None:
                by_day.setdefault(form.cleaned_data["weekday"], []).append(form)
        for day_forms in by_day.values():
            windows = [(form.cleaned_data["start"], form.cleaned_data["end"]) for form in day_forms]
            for first, second in rules.clashing_windows(windows):
                start, end = windows[first]
                day_forms[second].add_error("start", overlap_message(start, end))

    def windows(self) -> list[hours_services.Window]:
        return [window for form in self.forms if (window := form.window()) is not None]


# A week of split shifts is 14 windows; the cap only keeps a forged form from making thousands.
WeekFormSet = forms.formset_factory(
    WindowForm, formset=BaseWeekFormSet, extra=3, can_delete=True, max_num=42, validate_max=True, absolute_max=42
)


class HoursExceptionForm(text_input.Form):
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}), validators=[_plausible])
    start = forms.TimeField(label="From", required=False, widget=_time_input())
    end = forms.TimeField(label="Until", required=False, widget=_time_input())
    note = forms.CharField(label="Note for the front desk", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].help_text = "Leave both times empty when the clinician does not work that day."


class TimeOffForm(text_input.Form):
    starts_at = forms.DateTimeField(
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Date and time in the clinic's time zone.",
    )
    ends_at = forms.DateTimeField(
        label="Until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="The clinician is back at this time.",
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False, help_text="For example: holiday, course.")

    def clean(self):
        cleaned = super().clean()
        for name in ("starts_at", "ends_at"):
            moment = cleaned.get(name)
            if moment is not None and (problem := plausible_dates.problem(moment.date(), timezone.localdate())):
                self.add_error(name, problem)
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start is not None and end is not None and end <= start:
            self.add_error("ends_at", "The end must be after the start.")
        return cleaned


def _apply(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal, beside the field it names when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- The coming week -----------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    day: datetime.date
    windows: list[tuple[datetime.datetime, datetime.datetime]]
    changed: bool  # the date's own hours, not the weekly ones
    notes: list[str]
    time_off: list[tuple[datetime.datetime, datetime.datetime, str]]


def _preview(clinician, first: datetime.date, time_off: list[TimeOff]) -> list[PreviewDay]:
    zone = clinician.clinic.zone
    hours = schedule.working_hours(clinician)
    changes = list(clinician.hours_exceptions.all())
    days = []
    for offset in range(PREVIEW_DAYS):
        day = first + datetime.timedelta(days=offset)
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        days.append(
            PreviewDay(
                day=day,
                windows=rules.working_windows(day, hours, zone),
                changed=any(change.day == day for change in changes),
                notes=[change.note for change in changes if change.day == day and change.note],
                time_off=[
                    (max(row.starts_at, start).astimezone(zone), min(row.ends_at, end).astimezone(zone), row.reason)
                    for row in time_off
                    if row.starts_at < end and row.ends_at > start
                ],
            )
        )
    return days


# --- Pages ---------------------------------------------------------------------------------


def _by_weekday(clinician) -> list[tuple[str, list[WorkingHours]]]:
    return [(name, [row for row in clinician.working_hours.all() if row.weekday == n]) for n, name in WEEKDAYS]


@login_required
def hours_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    clinicians = list(selectors.clinicians_of(user=request.user).prefetch_related("working_hours"))
    rows = [(clinician, _by_weekday(clinician)) for clinician in clinicians]
    return render(
        request,
        "scheduling/hours/list.html",
        {"rows": rows, "can_edit": permissions.can_edit_working_hours(request.user)},
    )


def _week_formset(clinician, data=None) -> BaseWeekFormSet:
    initial = [{"weekday": row.weekday, "start": row.start, "end": row.end} for row in clinician.working_hours.all()]
    return WeekFormSet(data, initial=initial, prefix="week")


@login_required
def clinician_hours(request: HttpRequest, clinician_pk: int) -> HttpResponse:
    """One clinician: the weekly hours (a form for the admin), changes of hours, time off and
    the coming week."""
    clinician = access.clinician_for(request.user, clinician_pk)
    today = _today(clinician)
    zone = clinician.clinic.zone
    from_today = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    # The coming days' changes only: the page lists what is still to come.
    prefetch_related_objects(
        [clinician],
        "working_hours",
        Prefetch("hours_exceptions", queryset=HoursException.objects.filter(day__gte=today)),
    )
    can_edit = permissions.can_edit_working_hours(request.user)
    week_form = _week_formset(clinician) if can_edit else None
    change_form = HoursExceptionForm(prefix="change") if can_edit else None
    if request.method == "POST":
        _require_editor(request)
        if "save_week" in request.POST:
            week_form = _week_formset(clinician, request.POST)
            if week_form.is_valid():
                try:
                    hours_services.weekly_hours_replace(
                        actor=request.user, clinician=clinician, windows=week_form.windows()
                    )
                except ValidationError as error:
                    week_form._non_form_errors = week_form.error_class(error.messages)
                else:
                    messages.success(request, "Weekly hours saved.")
                    return redirect("working_hours_clinician", clinician_pk=clinician.pk)
        elif "add_change" in request.POST:
            change_form = HoursExceptionForm(request.POST, prefix="change")
            if change_form.is_valid():
                try:
                    row, outside = hours_services.hours_exception_add(
                        actor=request.user, clinician=clinician, **change_form.cleaned_data
                    )
                except ValidationError as error:
                    _apply(change_form, error)
                else:
                    _say_saved(
                        request, "Change of hours saved.", outside, f"outside the clinician's hours on {_date(row.day)}"
                    )
                    return redirect("working_hours_clinician", clinician_pk=clinician.pk)
    time_off = list(clinician.time_off.filter(ends_at__gt=from_today).order_by("starts_at"))
    return render(
        request,
        "scheduling/hours/clinician.html",
        {
            "clinician": clinician,
            "can_edit": can_edit,
            "week_form": week_form,
            "weekly": _by_weekday(clinician),
            "weekly_kept": bool(clinician.working_hours.all()),
            "change_form": change_form,
            "changes": list(clinician.hours_exceptions.all()),
            "time_off": time_off,
            "preview": _preview(clinician, today, time_off),
        },
    )


def _say_saved(request: HttpRequest, saved: str, count: int, where: str) -> None:
    """Saved; and, as a warning rather than a refusal, how many booked visits now need a move."""
    messages.success(request, saved)
    if count:
        visits = "1 booked visit is" if count == 1 else f"{count} booked visits are"
        messages.warning(request, f"{visits} {where}. The front desk can move them from the schedule of that day.")


def _date(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@login_required
@require_POST
def hours_exception_remove(request: HttpRequest, clinician_pk: int, pk: int) -> HttpResponse:
    clinician = access.clinician_for(request.user, clinician_pk)
    row = access.hours_row_for(request.user, clinician, "scheduling.HoursException", pk)
    hours_services.hours_exception_delete(actor=request.user, row=row)
    messages.success(request, "Change of hours removed: the weekly hours apply that day again.")
    return redirect("working_hours_clinician", clinician_pk=clinician.pk)


@login_required
def time_off_edit(request: HttpRequest, clinician_pk: int, pk: int | None = None) -> HttpResponse:
    clinician = access.clinician_for(request.user, clinician_pk)
    _require_editor(request)
    row = access.hours_row_for(request.user, clinician, "scheduling.TimeOff", pk) if pk is not None else None
    initial = {} if row is None else {"starts_at": row.starts_at, "ends_at": row.ends_at, "reason": row.reason}
    form = TimeOffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved, inside = hours_services.time_off_save(
                actor=request.user, clinician=clinician, row=row, **form.cleaned_data
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            day = timezone.localtime(saved.starts_at, clinician.clinic.zone).date()
            _say_saved(request, "Time off saved.", inside, f"in this time off (from {_date(day)})")
            return redirect("working_hours_clinician", clinician_pk=clinician.pk)
    return render(request, "scheduling/hours/time_off.html", {"clinician": clinician, "form": form, "row": row})


@login_required
@require_POST
def time_off_remove(request: HttpRequest, clinician_pk: int, pk: int) -> HttpResponse:
    clinician = access.clinician_for(request.user, clinician_pk)
    row = access.hours_row_for(request.user, clinician, "scheduling.TimeOff", pk)
    hours_services.time_off_delete(actor=request.user, row=row)
    messages.success(request, "Time off removed.")
    return redirect("working_hours_clinician", clinician_pk=clinician.pk)
