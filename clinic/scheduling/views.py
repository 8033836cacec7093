"""Front-desk scheduling pages: the day view with free slots, booking with a patient search,
and the visit actions (check in, complete, no-show, cancel, move)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import F, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import access, audit, permissions, plausible_dates, selectors, text_input
from clinic.models import EpisodeOfCare, EpisodeStatus
from clinic.permissions import Role
from clinic.scheduling import calendar, grid, rules, services, tracks
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from plans.models import PlanVersion
from plans.signed import SignedPlan


def _require_scheduler(user) -> None:
    if not permissions.can_schedule(user):
        raise PermissionDenied


def _day(request: HttpRequest) -> datetime.date:
    """The day asked for (``?day=YYYY-MM-DD``); today, with a message saying why, for a day that
    is not a date or not a plausible one (the page could not even link the day before year 1)."""
    today = timezone.localdate()
    raw = request.GET.get("day")
    if not raw:
        return today
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        messages.error(request, "That day was not understood (use YYYY-MM-DD): here is today.")
        return today
    if problem := plausible_dates.problem(day, today):
        messages.error(request, f"{problem} Here is today.")
        return today
    return day


# Columns of the day view, rows of the week view: a large clinic is paged, five clinicians to
# a page (five 16rem columns fit a laptop screen), so a page stays readable and quick to make
# (bench/data_growth.py: 20 clinicians, 16 visits each a day).
CLINICIANS_PER_PAGE = 5


def _chosen(request: HttpRequest, clinicians: list) -> tuple[list, Page | None]:
    """One clinician's calendar when ?clinician= names one of the clinic's; else a page
    (?page=) of the whole clinic's clinicians, with the page for the navigation."""
    wanted = request.GET.get("clinician", "")
    one = [clinician for clinician in clinicians if str(clinician.pk) == wanted]
    if one:
        return one, None
    page = Paginator(clinicians, CLINICIANS_PER_PAGE).get_page(request.GET.get("page"))
    return list(page.object_list), page


def _day_start(clinician, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=clinician.clinic.zone)


def _free_slots(clinician, day: datetime.date, busy: list[rules.Busy], step: int) -> list[rules.Slot]:
    """Where a follow-up fits, one start per row of the calendar."""
    return rules.free_slots(
        day,
        length=datetime.timedelta(minutes=services.DEFAULT_MINUTES[AppointmentKind.FOLLOW_UP]),
        hours=schedule.working_hours(clinician),
        busy=busy,
        zone=clinician.clinic.zone,
        step=datetime.timedelta(minutes=step),
        not_before=timezone.now(),
    )


CANCELLED_CHOICE = "schedule_cancelled"


def _show_cancelled(request: HttpRequest) -> bool:
    """Whether the calendar shows cancelled visits: ?cancelled=hide or =show, remembered for the
    session; shown until hidden."""
    asked = request.GET.get("cancelled")
    if asked in ("hide", "show"):
        request.session[CANCELLED_CHOICE] = asked
    return request.session.get(CANCELLED_CHOICE, "show") != "hide"


def _grid(shown: list[tracks.Track], visits: list[list], time_off, busy) -> dict:
    """Rows for the tracks, each track filled, and the current time's place when today is shown:
    what day.html and week.html draw the grid from."""
    clinic = shown[0].clinician.clinic
    rows = grid.rows_for(tracks.spans_of(shown, visits), clinic.calendar_slot_minutes)
    for one, own in zip(shown, visits, strict=True):
        tracks.fill(
            one,
            rows,
            visits=own,
            time_off=[row for row in time_off if row.clinician_id == one.clinician.pk],
            free=_free_slots(one.clinician, one.day, busy(one, own), rows.slot),
        )
    now = None
    if any(one.today for one in shown):
        local = timezone.localtime(timezone.now(), clinic.zone)
        minute = local.hour * 60 + local.minute
        if rows.first <= minute < rows.last:
            row = rows.row(minute)
            now = {"row": row, "time": local, "offset": (minute - rows.at(row)) / rows.slot}
    return {
        "tracks": shown,
        "rows": rows,
        "hours": rows.hours(),
        "now": now,
    }


def _busy_of(time_off: list):
    """What blocks a track: its visits that are not cancelled, and the clinician's time off."""

    def busy(one: tracks.Track, own: list) -> list[rules.Busy]:
        start = _day_start(one.clinician, one.day)
        return schedule.busy(
            one.clinician,
            start,
            start + datetime.timedelta(days=1),
            visits=[visit for visit in own if visit.status != AppointmentStatus.CANCELLED],
            time_off=time_off,
        )

    return busy


# What the day's grid shows of a visit and its patient: a day of a clinic is some eighty visits,
# and loading each patient whole (contact details, phone numbers parsed) was a third of the page.
DAY_VIEW_FIELDS = (
    *(field.name for field in Appointment._meta.concrete_fields),
    "episode__patient__clinic_id",
    "episode__patient__first_name",
    "episode__patient__last_name",
    "episode__patient__reminders_opted_out_at",
)


@login_required
def day_view(request: HttpRequest) -> HttpResponse:
    """The day as a time grid: a column per clinician, visits as blocks as long as they last,
    free times to book, time outside working hours and time off shaded."""
    _require_scheduler(request.user)
    day = _day(request)
    show_cancelled = _show_cancelled(request)
    everyone = list(selectors.clinicians_of(user=request.user).select_related("clinic"))
    clinicians, page = _chosen(request, everyone)
    # Only the shown clinicians' hours and visits: one page of the clinic need not load the whole clinic's.
    prefetch_related_objects(clinicians, *schedule.HOURS_PREFETCH)
    visits = list(
        schedule.with_reminders(
            schedule.appointments_on(user=request.user, day=day, cancelled=show_cancelled)
            .filter(clinician__in=clinicians)
            .select_related(None)
            .select_related("episode__patient")
            .only(*DAY_VIEW_FIELDS)
            .order_by("starts_at", "id")
        )
    )
    context = {}
    if clinicians:
        start = _day_start(clinicians[0], day)
        time_off = schedule.time_off_between(clinicians, start, start + datetime.timedelta(days=1))
        today = timezone.localdate()
        shown = [
            tracks.track(
                clinician,
                day,
                label=clinician.full_name,
                today=today,
                hours=schedule.working_hours(clinician),
                zone=clinician.clinic.zone,
            )
            for clinician in clinicians
        ]
        own = [[visit for visit in visits if visit.clinician_id == clinician.pk] for clinician in clinicians]
        context = _grid(shown, own, time_off, _busy_of(time_off))
    audit.record_shown(
        actor=request.user, action=audit.Read.SCHEDULE_DAY_VIEWED, patients=[visit.episode.patient for visit in visits]
    )
    return render(
        request,
        "scheduling/day.html",
        {
            **context,
            "day": day,
            "is_today": day == timezone.localdate(),
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "clinicians": everyone,
            "chosen": request.GET.get("clinician", ""),
            "page": page,
            "show_cancelled": show_cancelled,
            "is_clinician": Role.CLINICIAN in permissions.roles_of(request.user),
            "can_view_hours": permissions.can_view_working_hours(request.user),
        },
    )


class BookingSearchForm(text_input.Form):
    q = forms.CharField(
        label="Find the patient", max_length=100, required=False, help_text="Name, date of birth or mobile number."
    )


class BookingForm(text_input.Form):
    """The visit to book in a slot: which of the open episodes the search found, the visit type,
    and the reason for booking outside working hours or in time off."""

    episode = forms.TypedChoiceField(
        label="Episode of care",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the patient's episode of care.",
            "invalid_choice": "Find the patient and choose one of their open episodes.",
        },
    )
    kind = forms.ChoiceField(
        label="Visit",
        choices=AppointmentKind.choices,
        error_messages={"required": "Choose the type of visit.", "invalid_choice": "Choose one of the visit types."},
    )
    override_reason = forms.CharField(
        label="Reason, if booking outside working hours or in time off", max_length=200, required=False
    )

    def __init__(self, *args, episodes: list[EpisodeOfCare], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].choices = [
            (
                episode.pk,
                f"{episode.patient.full_name} ({episode.patient.date_of_birth:%Y-%m-%d}), "
                f"{episode.presenting_complaint}",
            )
            for episode in episodes
        ]


def _booking_start(request: HttpRequest, episodes: list[EpisodeOfCare]) -> dict:
    """A booking form as a search leaves it: the one episode found chosen, its default visit type
    (several found: a follow-up, the usual visit), the reason typed so far kept."""
    only = episodes[0] if len(episodes) == 1 else None
    return {
        "episode": only.pk if only else None,
        "kind": rules.default_visit_kind(only.visit_count) if only else AppointmentKind.FOLLOW_UP,
        "override_reason": text_input.without_control_characters(request.POST.get("override_reason", ""))[:200],
    }


@login_required
def book(request: HttpRequest) -> HttpResponse:
    """Book one visit. The slot (clinician and start) comes from the day view; the patient
    is found with a search sent by POST, so no name is ever in the address. A search shows
    no error of the fields below it: those are checked when the visit is booked."""
    _require_scheduler(request.user)
    wanted = request.GET.get("clinician", "")
    clinician = selectors.clinicians_of(user=request.user).filter(pk=wanted).first() if wanted.isdigit() else None
    try:
        starts_at = datetime.datetime.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        starts_at = None
    if clinician is None or starts_at is None:
        # An address typed, bookmarked or cut short: the slot is chosen on the day view.
        messages.error(request, "Choose a free slot on the day view.")
        return redirect("schedule_day")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, clinician.clinic.zone)
    search = BookingSearchForm(request.POST or None)
    episodes = []
    form = None
    if request.method == "POST":
        query = search.cleaned_data["q"] if search.is_valid() else ""
        episodes = schedule.open_episodes_found(user=request.user, query=query)
        audit.record_shown(
            actor=request.user, action=audit.Read.PATIENT_SEARCHED, patients=[episode.patient for episode in episodes]
        )
        if "book" in request.POST:
            form = BookingForm(request.POST, episodes=episodes)
            if form.is_valid():
                # One of the episodes found: the search is scoped to the user's clinic.
                chosen = next(episode for episode in episodes if episode.pk == form.cleaned_data["episode"])
                try:
                    services.appointment_book(
                        actor=request.user,
                        episode=chosen,
                        clinician=clinician,
                        starts_at=starts_at,
                        kind=form.cleaned_data["kind"],
                        override_reason=form.cleaned_data["override_reason"],
                    )
                except ValidationError as error:
                    _add_errors(form, error)
                else:
                    messages.success(request, "Visit booked; the patient's confirmation is on its way.")
                    return redirect(_day_url(starts_at, clinician))
    if form is None:
        form = BookingForm(episodes=episodes, initial=_booking_start(request, episodes))
    return render(
        request,
        "scheduling/book.html",
        {"search": search, "form": form, "clinician": clinician, "starts_at": starts_at, "episodes": episodes},
    )


class _FetchedChoices(forms.models.ModelChoiceIterator):
    """A select's clinicians in one plain query. Django's iterator reads them through
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor (DECLARE, FETCH,
    FETCH, CLOSE: four round trips) for a clinic's few clinicians."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for clinician in self.queryset:
            yield self.choice(clinician)


class ClinicianChoiceField(forms.ModelChoiceField):
    iterator = _FetchedChoices


class FreeTimesForm(text_input.Form):
    """Whose free times to show for a booking, and for which visit type (its length)."""

    clinician = ClinicianChoiceField(
        label="Clinician",
        queryset=None,
        empty_label=None,
        error_messages={
            "required": "Choose a clinician.",
            "invalid_choice": "Choose a clinician of this clinic.",
        },
    )
    kind = forms.ChoiceField(
        label="Visit",
        choices=AppointmentKind.choices,
        error_messages={"required": "Choose the type of visit.", "invalid_choice": "Choose one of the visit types."},
    )

    def __init__(self, *args, user, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["clinician"].queryset = selectors.clinicians_of(user=user).select_related("clinic")


class EpisodeBookingForm(FreeTimesForm):
    starts_at = forms.CharField(
        label="Free times", max_length=30, error_messages={"required": "Choose one of the free times."}
    )

    def clean_starts_at(self) -> datetime.datetime:
        return _local_start(self.cleaned_data["starts_at"], self.zone, "Choose one of the free times.")


@login_required
def book_episode(request: HttpRequest, episode_pk: int) -> HttpResponse:
    """Book a visit for one episode (from the patient's or the episode's page): the lead
    clinician's free times over the coming days, or another clinician's, and one of them booked
    with the same checks as any booking."""
    episode = access.episode_to_schedule(request.user, episode_pk)
    zone = episode.patient.clinic.zone
    clinicians = list(selectors.clinicians_of(user=request.user).select_related("clinic"))
    lead = next((person for person in clinicians if person.pk == episode.lead_clinician_id), None)
    defaults = {
        "clinician": lead or (clinicians[0] if clinicians else None),
        "kind": rules.default_visit_kind(schedule.visit_count(episode)),
    }
    status = 200
    if request.method == "POST":
        form = EpisodeBookingForm(request.POST, user=request.user, zone=zone)
        if form.is_valid():
            try:
                services.appointment_book(
                    actor=request.user,
                    episode=episode,
                    clinician=form.cleaned_data["clinician"],
                    starts_at=form.cleaned_data["starts_at"],
                    kind=form.cleaned_data["kind"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                when = timezone.localtime(form.cleaned_data["starts_at"], zone)
                messages.success(
                    request, f"Visit booked for {when:%a %d %b %H:%M}; the patient's confirmation is on its way."
                )
                return redirect("episode_detail", pk=episode.pk)
        status = 400
    else:
        form = FreeTimesForm(request.GET or None, user=request.user, zone=zone, initial=defaults)
    # The free times of the clinician and visit type asked for, where they are valid.
    asked = {}
    if form.is_bound:
        form.is_valid()  # the fields that are valid land in cleaned_data even when another is not
        asked = form.cleaned_data
    chosen = {**defaults, **{name: value for name, value in asked.items() if value}}
    free_days = (
        schedule.free_days_ahead(
            chosen["clinician"], length=services.visit_length(clinic=episode.patient.clinic, kind=chosen["kind"])
        )
        if chosen["clinician"] is not None and episode.status == EpisodeStatus.OPEN
        else []
    )
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    return render(
        request,
        "scheduling/book_episode.html",
        {"episode": episode, "form": form, "chosen": chosen, "free_days": free_days},
        status=status,
    )


def _day_url(starts_at: datetime.datetime, clinician) -> str:
    return f"{reverse('schedule_day')}?day={timezone.localtime(starts_at, clinician.clinic.zone):%Y-%m-%d}"


class MoveForm(text_input.Form):
    """A visit's new start, in the clinic's local time (``YYYY-MM-DDTHH:MM``), and clinician
    (the same one when left out). The calendar's drag-and-drop posts these same fields."""

    starts_at = forms.CharField(
        label="New date and time",
        max_length=30,
        error_messages={"required": "Enter the new date and time."},
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    clinician = ClinicianChoiceField(
        label="Clinician",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "Choose a clinician of this clinic."},
    )
    override_reason = forms.CharField(
        label="Reason, if outside working hours or in time off", max_length=200, required=False
    )

    def __init__(self, *args, user, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["clinician"].queryset = selectors.clinicians_of(user=user).select_related("clinic")

    def clean_starts_at(self) -> datetime.datetime:
        return _local_start(self.cleaned_data["starts_at"], self.zone, "Enter the new date and time.")


def _local_start(text: str, zone, problem: str) -> datetime.datetime:
    """A start typed or chosen as ``YYYY-MM-DDTHH:MM``, in the clinic's local time."""
    try:
        starts_at = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{problem} Use a date and a time of day.") from None
    return timezone.make_aware(starts_at, zone) if timezone.is_naive(starts_at) else starts_at


def _move_clinician(request: HttpRequest, visit: Appointment, move_form: MoveForm | None):
    """Whose free times the move offers: the clinician the refused move named, or the one asked
    for (``?clinician=``) if of this clinic, else the visit's own."""
    named = getattr(move_form, "cleaned_data", {}).get("clinician")
    if named is not None:
        return named
    wanted = request.GET.get("clinician", "")
    if wanted.isdigit():
        chosen = selectors.clinicians_of(user=request.user).select_related("clinic").filter(pk=wanted).first()
        if chosen is not None:
            return chosen
    return visit.clinician


def _render_visit(request: HttpRequest, visit: Appointment, *, move_form=None, cancel_reason="", status=200):
    audit.record_read(actor=request.user, action=audit.Read.APPOINTMENT_VIEWED, obj=visit)
    zone = visit.clinician.clinic.zone
    if move_form is None:
        move_form = MoveForm(
            user=request.user,
            zone=zone,
            initial={"starts_at": f"{timezone.localtime(visit.starts_at, zone):%Y-%m-%dT%H:%M}"},
        )
    clinician = _move_clinician(request, visit, move_form)
    free_days = (
        schedule.free_days_ahead(clinician, length=visit.ends_at - visit.starts_at, ignore=visit)
        if visit.status == AppointmentStatus.BOOKED
        else []
    )
    return render(
        request,
        "scheduling/visit.html",
        {
            "visit": schedule.with_reminders(
                Appointment.objects.filter(pk=visit.pk).select_related("episode__patient", "clinician__clinic")
            )[0],
            "move_form": move_form,
            "move_clinician": clinician,
            "clinicians": move_form.fields["clinician"].queryset,
            "free_days": free_days,
            "cancel_reason": cancel_reason,
        },
        status=status,
    )


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit and what the front desk can do with it: check in, mark, move, cancel. The day
    view links here rather than carrying every form for every visit (a busy clinic's day is
    hundreds of visits)."""
    return _render_visit(request, access.visit_for(request.user, pk))


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access.visit_for(request.user, pk)
    status = request.POST.get("status", "")
    try:
        if status == AppointmentStatus.CANCELLED:
            services.appointment_cancel(actor=request.user, appointment=visit, reason=request.POST.get("reason", ""))
        else:
            services.appointment_set_status(actor=request.user, appointment=visit, status=status)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        if status == AppointmentStatus.CANCELLED:
            # Back to the visit's page with the reason kept, where the cancel form is.
            return _render_visit(request, visit, cancel_reason=request.POST.get("reason", "")[:200], status=400)
    else:
        when = timezone.localtime(visit.starts_at, visit.clinician.clinic.zone)
        messages.success(request, f"Visit at {when:%H:%M}: {visit.get_status_display().lower()}.")
        if status == AppointmentStatus.CANCELLED and services.wait_list_for_slot(user=request.user, freed=visit):
            return redirect("schedule_offer", pk=visit.pk)
    return redirect(_day_url(visit.starts_at, visit.clinician))


@login_required
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    """A visit was cancelled: who on the wait list fits, and offer the slot in one step."""
    return _offer(request, access.visit_for(request.user, pk))


@login_required
def offer_moved(request: HttpRequest, pk: int) -> HttpResponse:
    """A patient moved their visit: its old time is offered as a cancelled visit's is."""
    return _offer(request, schedule.patient_change(user=request.user, pk=pk).freed)


def _offer(request: HttpRequest, freed: Appointment) -> HttpResponse:
    entries = services.wait_list_for_slot(user=request.user, freed=freed)
    if request.method == "POST":
        entry = next((row for row in entries if str(row.pk) == request.POST.get("entry")), None)
        if entry is None:
            messages.error(request, "Choose a patient from the wait list.")
        else:
            try:
                services.wait_list_offer(actor=request.user, entry=entry, freed=freed)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"The slot is booked for {entry.episode.patient.full_name}.")
                return redirect(_day_url(freed.starts_at, freed.clinician))
    audit.record_shown(
        actor=request.user,
        action=audit.Read.WAIT_LIST_VIEWED,
        patients=[freed.episode.patient, *(entry.episode.patient for entry in entries)],
    )
    return render(request, "scheduling/offer.html", {"freed": freed, "entries": entries})


class WaitListForm(text_input.Form):
    clinician = ClinicianChoiceField(queryset=None, required=False, empty_label="Any clinician")
    note = forms.CharField(max_length=200, required=False, label="Note (e.g. mornings only)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = selectors.clinicians_of(user=user)


@login_required
@require_POST
def wait_list_add(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.episode_to_schedule(request.user, episode_pk)
    form = WaitListForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.wait_list_add(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Added to the wait list; you will be offered freed slots that fit.")
    else:
        messages.error(request, "Choose a clinician of this clinic, or any.")
    return redirect("episode_detail", pk=episode.pk)


WEEKDAYS = [(str(number), name) for number, name in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])]


class PreferenceForm(text_input.Form):
    """The patient's preferred days and times, which the proposal tries to meet."""

    weekdays = forms.MultipleChoiceField(
        label="Preferred days", choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    earliest = forms.TimeField(label="Not before", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    latest = forms.TimeField(
        label="Start no later than", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    two_a_day = forms.BooleanField(
        label="Allow two visits on one day",
        required=False,
        help_text="Otherwise no visit is proposed on a day the patient already comes.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("earliest") and cleaned.get("latest") and cleaned["latest"] < cleaned["earliest"]:
            self.add_error("latest", "The latest start is before the earliest.")
        return cleaned

    def preference(self) -> rules.Preference:
        return rules.Preference(
            weekdays=frozenset(int(day) for day in self.cleaned_data["weekdays"]),
            earliest=self.cleaned_data["earliest"],
            latest=self.cleaned_data["latest"],
        )


@login_required
def book_plan(request: HttpRequest, episode_pk: int) -> HttpResponse:
    """Propose a signed plan's follow-up series; the front desk adjusts and confirms in one step."""
    episode = access.episode_to_schedule(request.user, episode_pk)
    version = PlanVersion.objects.filter(plan__episode=episode).order_by("-signed_at").first()
    if version is None:
        messages.error(request, "There is no signed plan to book yet.")
        return redirect("episode_detail", pk=episode.pk)
    clinician = episode.lead_clinician
    preference_form = PreferenceForm(request.GET or None)
    valid = preference_form.is_valid()
    preference = preference_form.preference() if valid else None
    two_a_day = valid and preference_form.cleaned_data["two_a_day"]
    signed = SignedPlan.of(version)
    need = rules.PlanNeed(visits_per_week=signed.visits_per_week, weeks=signed.weeks)
    if request.method == "POST":
        chosen = []
        for value in request.POST.getlist("visit"):
            start_text, _, kind = value.partition("|")
            try:
                start = datetime.datetime.fromisoformat(start_text)
                if timezone.is_naive(start):
                    raise ValueError(start_text)
                chosen.append((start, AppointmentKind(kind)))
            except ValueError:
                messages.error(request, "A chosen visit was not understood; choose again.")
                return redirect("schedule_book_plan", episode_pk=episode.pk)
        try:
            booked = services.plan_series_book(
                actor=request.user, episode=episode, clinician=clinician, need=need, visits=chosen, two_a_day=two_a_day
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{len(booked)} visits booked; the patient's confirmation is on its way.")
            return redirect("episode_detail", pk=episode.pk)
    proposal = services.plan_series_proposal(
        episode=episode, clinician=clinician, need=need, preference=preference, two_a_day=two_a_day
    )
    audit.record_read(actor=request.user, action=audit.Read.PLAN_SERIES_VIEWED, obj=episode)
    return render(
        request,
        "scheduling/book_plan.html",
        {
            "episode": episode,
            "version": version,
            "signed": signed,
            "clinician": clinician,
            "proposal": proposal,
            "already": sorted([*proposal.held, *proposal.done], key=lambda visit: visit.start),
            "preference_form": preference_form,
        },
    )


@login_required
def week_view(request: HttpRequest) -> HttpResponse:
    """Seven days from a Monday: one clinician's week as a time grid (a column a day), or a page
    of clinicians as a compact grid (a row each, a cell a day: visit times and free times);
    and the patients whose signed plan still needs visits booked."""
    _require_scheduler(request.user)
    day = _day(request)
    show_cancelled = _show_cancelled(request)
    monday = day - datetime.timedelta(days=day.weekday())
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    everyone = list(selectors.clinicians_of(user=request.user).select_related("clinic"))
    clinicians, page = _chosen(request, everyone)
    prefetch_related_objects(clinicians, *schedule.HOURS_PREFETCH)
    context = {}
    if clinicians:
        start = _day_start(clinicians[0], monday)
        end = start + datetime.timedelta(days=7)
        time_off = schedule.time_off_between(clinicians, start, end)
        visits = Appointment.objects.filter(
            episode__in=permissions.scoped_episodes(request.user),
            clinician__in=clinicians,
            starts_at__gte=start,
            starts_at__lt=end,
        ).order_by("starts_at", "id")
        if not show_cancelled:
            visits = visits.exclude(status=AppointmentStatus.CANCELLED)
        if page is None:
            context = _one_clinicians_week(request, clinicians[0], days, visits, time_off)
        else:
            context = _clinicians_week(request, clinicians, days, visits, time_off)
    return render(
        request,
        "scheduling/week.html",
        {
            **context,
            "day": day,
            "days": days,
            "today": timezone.localdate(),
            "previous": monday - datetime.timedelta(days=7),
            "next": monday + datetime.timedelta(days=7),
            "clinicians": everyone,
            "chosen": request.GET.get("clinician", ""),
            "page": page,
            "show_cancelled": show_cancelled,
            "can_view_hours": permissions.can_view_working_hours(request.user),
        },
    )


def _one_clinicians_week(request: HttpRequest, clinician, days, visits, time_off) -> dict:
    visits = list(visits.select_related("episode__patient", "clinician"))
    zone = clinician.clinic.zone
    today = timezone.localdate()
    hours = schedule.working_hours(clinician)
    shown = [
        tracks.track(clinician, day, label=f"{day:%a} {day.day} {day:%b}", today=today, hours=hours, zone=zone)
        for day in days
    ]
    own = [[visit for visit in visits if timezone.localtime(visit.starts_at, zone).date() == day] for day in days]
    audit.record_shown(
        actor=request.user, action=audit.Read.SCHEDULE_WEEK_VIEWED, patients=[visit.episode.patient for visit in visits]
    )
    return {"one": clinician, **_grid(shown, own, time_off, _busy_of(time_off))}


def _clinicians_week(request: HttpRequest, clinicians, days, visits, time_off) -> dict:
    # A week of a clinic is hundreds of visits, each shown as a time and a surname: plain rows of
    # those few columns, not whole visits, episodes and patients.
    visits = list(
        visits.values(
            "pk",
            "starts_at",
            "ends_at",
            "status",
            "episode_id",
            "clinician_id",
            patient_id=F("episode__patient_id"),
            last_name=F("episode__patient__last_name"),
        )
    )
    zone = clinicians[0].clinic.zone
    slot = clinicians[0].clinic.calendar_slot_minutes
    cells = defaultdict(list)
    for visit in visits:
        local = timezone.localtime(visit["starts_at"], zone)
        visit["cancelled"] = visit["status"] == AppointmentStatus.CANCELLED
        visit["clock"] = f"{local:%H:%M}"
        cells[visit["clinician_id"], local.date()].append(visit)
    audit.record_shown(
        actor=request.user, action=audit.Read.SCHEDULE_WEEK_VIEWED, patients=[visit["patient_id"] for visit in visits]
    )
    grid_rows = []
    for clinician in clinicians:
        busy = [rules.Busy(row.starts_at, row.ends_at) for row in time_off if row.clinician_id == clinician.pk]
        busy += [
            rules.Busy(visit["starts_at"], visit["ends_at"])
            for visit in visits
            if visit["clinician_id"] == clinician.pk and not visit["cancelled"]
        ]
        by_day = _busy_by_day(busy, days, zone)
        grid_rows.append(
            (
                clinician,
                [(day, cells[clinician.pk, day], _free_slots(clinician, day, by_day[day], slot)) for day in days],
            )
        )
    return {"grid": grid_rows}


def _busy_by_day(busy: list[rules.Busy], days, zone) -> dict[datetime.date, list[rules.Busy]]:
    """Each local day's busy time: only what touches a day can block a slot in its working
    hours, and a clinician's week is a hundred visits checked against every slot of every day."""
    by_day: dict[datetime.date, list[rules.Busy]] = {day: [] for day in days}
    first, last = days[0], days[-1]
    for entry in busy:
        day = max(timezone.localtime(entry.start, zone).date(), first)
        end = min(timezone.localtime(entry.end, zone).date(), last)
        while day <= end:
            by_day[day].append(entry)
            day += datetime.timedelta(days=1)
    return by_day


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscription URL: no sign-in (calendar apps cannot), the secret token is the key."""
    visits = services.calendar_feed_visits(token)
    if visits is None:
        raise Http404
    if visits:
        # Read by the clinician's calendar application, on the clinician's behalf.
        audit.record_shown(
            actor=visits[0].clinician,
            action=audit.Read.CALENDAR_FEED_READ,
            patients=[visit.episode.patient for visit in visits],
        )
    return HttpResponse(calendar.feed_ics(visits), content_type="text/calendar; charset=utf-8")


@login_required
def my_calendar_feed(request: HttpRequest) -> HttpResponse:
    """A clinician makes (or replaces) their feed URL, or revokes it."""
    if Role.CLINICIAN not in permissions.roles_of(request.user):
        raise PermissionDenied
    url = None
    if request.method == "POST":
        if "revoke" in request.POST:
            services.calendar_feed_revoke(actor=request.user, clinician=request.user)
            messages.success(request, "Your calendar feed no longer works.")
        else:
            token = services.calendar_feed_create(actor=request.user, clinician=request.user)
            url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    return render(request, "scheduling/feed.html", {"url": url})


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a visit to another time, and to another clinician of the clinic if one is named, with
    the booking's checks. A refusal shows the visit's page again with the reason beside the field
    and what was typed kept (400)."""
    visit = access.visit_for(request.user, pk)
    zone = visit.clinician.clinic.zone
    form = MoveForm(request.POST, user=request.user, zone=zone)
    if form.is_valid():
        try:
            services.appointment_reschedule(
                actor=request.user,
                appointment=visit,
                starts_at=form.cleaned_data["starts_at"],
                clinician=form.cleaned_data["clinician"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            when = timezone.localtime(visit.starts_at, zone)
            messages.success(request, f"Visit moved to {when:%a %d %b %H:%M} with {visit.clinician.full_name}.")
            return redirect(_day_url(visit.starts_at, visit.clinician))
    return _render_visit(request, access.visit_for(request.user, pk), move_form=form, status=400)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal beside the form's field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
