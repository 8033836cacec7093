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
from django.db.models import F, Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import access, audit, permissions, plausible_dates, selectors, text_input
from clinic.models import EpisodeOfCare, EpisodeStatus
from clinic.permissions import Role
from clinic.scheduling import calendar, rules, services
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


def _free_slots(clinician, day: datetime.date, visits, time_off) -> list[rules.Slot]:
    zone = clinician.clinic.zone
    start = _day_start(clinician, day)
    return rules.free_slots(
        day,
        length=datetime.timedelta(minutes=services.DEFAULT_MINUTES[AppointmentKind.FOLLOW_UP]),
        hours=schedule.working_hours(clinician),
        busy=schedule.busy(clinician, start, start + datetime.timedelta(days=1), visits=visits, time_off=time_off),
        zone=zone,
        step=datetime.timedelta(minutes=30),
        not_before=timezone.now(),
    )


@login_required
def day_view(request: HttpRequest) -> HttpResponse:
    _require_scheduler(request.user)
    day = _day(request)
    everyone = list(selectors.clinicians_of(user=request.user).select_related("clinic"))
    clinicians, page = _chosen(request, everyone)
    # Only the shown clinicians' hours and visits: one page of the clinic need not load the whole clinic's.
    prefetch_related_objects(clinicians, "working_hours")
    visits = list(
        schedule.with_reminders(schedule.appointments_on(user=request.user, day=day).filter(clinician__in=clinicians))
    )
    time_off = []
    if clinicians:
        start = _day_start(clinicians[0], day)
        time_off = schedule.time_off_between(clinicians, start, start + datetime.timedelta(days=1))
    columns = [
        (
            clinician,
            [visit for visit in visits if visit.clinician_id == clinician.pk],
            _free_slots(clinician, day, visits, time_off),
        )
        for clinician in clinicians
    ]
    audit.record_shown(
        actor=request.user, action=audit.Read.SCHEDULE_DAY_VIEWED, patients=[visit.episode.patient for visit in visits]
    )
    return render(
        request,
        "scheduling/day.html",
        {
            "day": day,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "columns": columns,
            "clinicians": everyone,
            "chosen": request.GET.get("clinician", ""),
            "page": page,
        },
    )


class BookingForm(text_input.Form):
    q = forms.CharField(
        label="Find the patient", max_length=100, required=False, help_text="Name, date of birth or mobile number."
    )
    episode = forms.TypedChoiceField(label="Episode of care", coerce=int, required=False, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label="Visit", choices=AppointmentKind.choices, initial=AppointmentKind.FOLLOW_UP)
    override_reason = forms.CharField(
        label="Reason, if booking outside working hours or in time off", max_length=200, required=False
    )

    def search_query(self) -> str:
        """What to search for: the q field's value once it passes the field's own checks (the
        form shows a refusal as the field's error), else nothing."""
        text_input.guard_form_field(self.fields["q"])
        try:
            return self.fields["q"].clean(self["q"].data)
        except ValidationError:
            return ""


@login_required
def book(request: HttpRequest) -> HttpResponse:
    """Book one visit. The slot (clinician and start) comes from the day view; the patient
    is found with a search sent by POST, so no name is ever in the address."""
    _require_scheduler(request.user)
    clinician = get_object_or_404(selectors.clinicians_of(user=request.user), pk=request.GET.get("clinician"))
    try:
        starts_at = datetime.datetime.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        messages.error(request, "Choose a free slot on the day view.")
        return redirect("schedule_day")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, clinician.clinic.zone)
    form = BookingForm(request.POST or None)
    episodes = []
    if request.method == "POST":
        query = form.search_query()
        patients = (
            selectors.patient_search(user=request.user, query=query).prefetch_related(
                Prefetch("episodes", queryset=EpisodeOfCare.objects.filter(status=EpisodeStatus.OPEN), to_attr="open")
            )[:20]
            if query.strip()
            else []
        )
        episodes = [episode for patient in patients for episode in patient.open]
        audit.record_shown(
            actor=request.user, action=audit.Read.PATIENT_SEARCHED, patients=[episode.patient for episode in episodes]
        )
        form.fields["episode"].choices = [
            (
                episode.pk,
                f"{episode.patient.full_name} ({episode.patient.date_of_birth:%Y-%m-%d}), "
                f"{episode.presenting_complaint}",
            )
            for episode in episodes
        ]
        if "book" in request.POST and form.is_valid():
            chosen = permissions.scoped_episodes(request.user).filter(pk=form.cleaned_data["episode"]).first()
            if chosen is None:
                form.add_error("episode", "Find the patient and choose one of their open episodes.")
            else:
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
                    form.add_error(None, " ".join(error.messages))
                else:
                    messages.success(request, "Visit booked; the patient's confirmation is on its way.")
                    return redirect(_day_url(starts_at, clinician))
    return render(
        request,
        "scheduling/book.html",
        {"form": form, "clinician": clinician, "starts_at": starts_at, "episodes": episodes},
    )


def _day_url(starts_at: datetime.datetime, clinician) -> str:
    return f"{reverse('schedule_day')}?day={timezone.localtime(starts_at, clinician.clinic.zone):%Y-%m-%d}"


def _render_visit(request: HttpRequest, visit: Appointment, *, move=None, cancel_reason="", status=200):
    audit.record_read(actor=request.user, action=audit.Read.APPOINTMENT_VIEWED, obj=visit)
    return render(
        request,
        "scheduling/visit.html",
        {
            "visit": schedule.with_reminders(
                Appointment.objects.filter(pk=visit.pk).select_related("episode__patient", "clinician__clinic")
            )[0],
            "move": move or {},
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
    clinician = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any clinician")
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
    preference = preference_form.preference() if preference_form.is_valid() else None
    signed = SignedPlan.of(version)
    proposed, notes = services.plan_series_proposal(
        episode=episode,
        clinician=clinician,
        visits_per_week=signed.visits_per_week,
        weeks=signed.weeks,
        preference=preference,
    )
    if request.method == "POST":
        chosen = []
        for value in request.POST.getlist("visit"):
            start_text, _, kind = value.partition("|")
            try:
                chosen.append((datetime.datetime.fromisoformat(start_text), AppointmentKind(kind)))
            except ValueError:
                messages.error(request, "A chosen visit was not understood; choose again.")
                return redirect("schedule_book_plan", episode_pk=episode.pk)
        try:
            booked = services.plan_series_book(actor=request.user, episode=episode, clinician=clinician, visits=chosen)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{len(booked)} visits booked; the patient's confirmations are on their way.")
            return redirect("episode_detail", pk=episode.pk)
    audit.record_read(actor=request.user, action=audit.Read.PLAN_SERIES_VIEWED, obj=episode)
    return render(
        request,
        "scheduling/book_plan.html",
        {
            "episode": episode,
            "version": version,
            "signed": signed,
            "clinician": clinician,
            "proposed": proposed,
            "notes": notes,
            "preference_form": preference_form,
        },
    )


@login_required
def week_view(request: HttpRequest) -> HttpResponse:
    """Seven days from a Monday: every clinician's visits, and the patients whose signed
    plan still needs visits booked."""
    _require_scheduler(request.user)
    day = _day(request)
    monday = day - datetime.timedelta(days=day.weekday())
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    everyone = list(selectors.clinicians_of(user=request.user))
    clinicians, page = _chosen(request, everyone)
    zone = request.user.clinic.zone
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone)
    visits = (
        Appointment.objects.filter(
            episode__in=permissions.scoped_episodes(request.user),
            clinician__in=clinicians,
            starts_at__gte=start,
            starts_at__lt=start + datetime.timedelta(days=7),
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("starts_at")
        # A week of a clinic is hundreds of visits, each shown as a time and a surname: plain
        # rows of those few columns, not whole visits, episodes and patients.
        .values(
            "starts_at",
            "status",
            "episode_id",
            "clinician_id",
            patient_id=F("episode__patient_id"),
            last_name=F("episode__patient__last_name"),
        )
    )
    cells = defaultdict(list)
    for visit in visits:
        cells[visit["clinician_id"], timezone.localtime(visit["starts_at"], zone).date()].append(visit)
    audit.record_shown(
        actor=request.user, action=audit.Read.SCHEDULE_WEEK_VIEWED, patients=[visit["patient_id"] for visit in visits]
    )
    grid = [(clinician, [(day, cells[clinician.pk, day]) for day in days]) for clinician in clinicians]
    return render(
        request,
        "scheduling/week.html",
        {
            "days": days,
            "grid": grid,
            "previous": monday - datetime.timedelta(days=7),
            "next": monday + datetime.timedelta(days=7),
            "clinicians": everyone,
            "chosen": request.GET.get("clinician", ""),
            "page": page,
        },
    )


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
    """Reschedule a visit to another time the same clinician is free."""
    visit = access.visit_for(request.user, pk)
    zone = visit.clinician.clinic.zone
    # What was typed goes back into the form if the move is refused.
    typed = {
        "starts_at": request.POST.get("starts_at", "")[:30],
        "override_reason": request.POST.get("override_reason", "")[:200],
    }
    try:
        starts_at = datetime.datetime.fromisoformat(typed["starts_at"])
    except ValueError:
        messages.error(request, "Enter the new date and time.")
        return _render_visit(request, visit, move=typed, status=400)
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, zone)
    try:
        services.appointment_reschedule(
            actor=request.user,
            appointment=visit,
            starts_at=starts_at,
            override_reason=typed["override_reason"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _render_visit(request, visit, move=typed, status=400)
    messages.success(request, f"Visit moved to {timezone.localtime(starts_at, zone):%a %d %b %H:%M}.")
    return redirect(_day_url(starts_at, visit.clinician))
