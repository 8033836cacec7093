"""HTML views of the clinic core: permission check, service or selector call, response."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from assessments import selectors as assessment_selectors
from clinic import access, api_tokens, audit, audit_trail, permissions, selectors, services, thresholds
from clinic.contact_changes import services as contact_changes
from clinic.forms import (
    ApiTokenForm,
    ClinicSettingsForm,
    EpisodeEditForm,
    EpisodeForm,
    PatientForm,
    PatientSearchForm,
    StaffEditForm,
    StaffForm,
    ThresholdsForm,
)
from clinic.models import AuditEvent, ContactChange, ContactChangeStatus, EpisodeOfCare, EpisodeStatus, Patient
from clinic.permissions import Role
from clinic.portal import selectors as portal_selectors
from clinic.scheduling import selectors as schedule
from clinic.two_factor import services as two_factor_services
from notes import selectors as note_selectors
from plans import selectors as plan_selectors

PAGE_SIZE = 25
# Patients a search on the clinic's audit trail offers to choose from.
AUDIT_SEARCH_MATCHES = 20


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _attempt(form, write):
    """Run a service write and return its result; a validation error lands on the form."""
    try:
        return write()
    except ValidationError as error:
        form.add_error(None, error)
        return None


# A large clinic books hundreds of visits a day: the dashboard lists the next ones, the
# schedule the whole day.
DASHBOARD_VISITS = 20
# A clinician back from leave may find dozens of intakes waiting: they come a page at a time.
DASHBOARD_INTAKES = 10


def favicon(request: HttpRequest) -> HttpResponse:
    # The icon's hashed static name is only known once static files are collected, so it is looked up here.
    return redirect(static("favicon.svg"), permanent=True)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = permissions.roles_of(user)
    today = timezone.localdate()
    context = {"roles": roles, "today": today}
    shown = []
    if Role.CLINICIAN in roles:
        context["my_visits"] = list(schedule.appointments_on(user=user, day=today, clinician=user))
        context["my_episodes_without_visit"] = list(
            schedule.episodes_without_next_visit(user=user, lead_clinician=user)[:20]
        )
        shown += [visit.episode.patient for visit in context["my_visits"]]
        shown += [episode.patient for episode in context["my_episodes_without_visit"]]
        to_review = Paginator(assessment_selectors.intakes_to_review(user=user), DASHBOARD_INTAKES)
        context["intakes_to_review"] = to_review.get_page(request.GET.get("intakes_page"))
        shown += [intake.episode.patient for intake in context["intakes_to_review"]]
        limit_hours = note_selectors.unsigned_limit_hours(user.clinic)
        to_finish = note_selectors.notes_to_finish(user=user, limit_hours=limit_hours)
        context["notes_to_finish"] = list(to_finish[: note_selectors.DASHBOARD_NOTES])
        context["notes_to_finish_count"] = (
            len(context["notes_to_finish"])
            if len(context["notes_to_finish"]) < note_selectors.DASHBOARD_NOTES
            else to_finish.count()
        )
        shown += [note.appointment.episode.patient for note in context["notes_to_finish"]]
        context["dashboard_notes"] = note_selectors.dashboard_notes(user=user, limit_hours=limit_hours)
        shown += context["dashboard_notes"].patients
    if Role.FRONT_DESK in roles:
        today_visits = schedule.appointments_on(user=user, day=today)
        context["clinic_visits"] = list(schedule.still_to_come(today_visits)[:DASHBOARD_VISITS])
        context["clinic_visits_today"] = today_visits.count()
        context["episodes_without_visit"] = list(schedule.episodes_without_next_visit(user=user)[:20])
        shown += [visit.episode.patient for visit in context["clinic_visits"]]
        shown += [episode.patient for episode in context["episodes_without_visit"]]
    if Role.CLINIC_ADMIN in roles:
        context["staff"] = selectors.staff_list(user=user)
    audit.record_shown(actor=user, action=audit.Read.DASHBOARD_VIEWED, patients=shown)
    return render(request, "clinic/dashboard.html", context)


# --- Patients ------------------------------------------------------------------------------


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search goes by POST so names, birth dates and phone numbers never appear in URLs."""
    _require(permissions.can_list_patients(request.user))
    form = PatientSearchForm(request.POST if request.method == "POST" else None)
    query, page_number = "", request.GET.get("page")
    if form.is_bound and form.is_valid():
        query, page_number = form.cleaned_data["q"], form.cleaned_data["page"] or 1
    patients = selectors.patient_search(user=request.user, query=query)
    page = Paginator(patients, PAGE_SIZE).get_page(page_number)
    audit.record_shown(
        actor=request.user,
        action=audit.Read.PATIENT_SEARCHED if query else audit.Read.PATIENT_LISTED,
        patients=list(page.object_list),
    )
    return render(
        request,
        "clinic/patient_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "searching": bool(query),
            "can_add": permissions.can_add_patient(request.user),
        },
    )


@login_required
def patient_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_add_patient(request.user))
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = _attempt(form, lambda: services.patient_create(actor=request.user, **form.cleaned_data))
        if patient:
            messages.success(request, "Patient added.")
            return redirect("patient_detail", pk=patient.pk)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": None})


@login_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk)
    _require(permissions.can_view_patient(request.user, patient))
    audit.record_read(actor=request.user, action=audit.Read.PATIENT_VIEWED, obj=patient)
    user = request.user
    episodes = list(selectors.patient_episodes(patient=patient))
    can_schedule = permissions.can_schedule(user)
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient,
            "episodes": episodes,
            "visits": schedule.visits_of(user=user, patient=patient),
            "can_schedule": can_schedule,
            "bookable": [episode for episode in episodes if episode.status == EpisodeStatus.OPEN]
            if can_schedule
            else [],
            "can_edit": permissions.can_change_patient(user, patient),
            "can_add_episode": permissions.can_add_episode(user, patient),
            "can_view_audit": permissions.can_view_audit_trail(user, patient),
            # The page is a signed-in session's, the credentials the export takes without a token.
            "can_export": permissions.can_export_clinical(user, None, patient),
            "age": patient.age_on(timezone.localdate()),
            "contact_change": patient.contact_changes.filter(status=ContactChangeStatus.PENDING).first(),
        },
    )


@login_required
@require_POST
def patient_contact_change(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    """Confirm the contact details the patient gave through a link, or keep the old ones."""
    patient = access.patient_for(request.user, pk)
    _require(permissions.can_change_patient(request.user, patient))
    change = get_object_or_404(ContactChange, pk=change_pk, patient=patient)
    try:
        if request.POST.get("decision") == "confirm":
            contact_changes.confirm(actor=request.user, change=change)
            messages.success(request, "The new contact details are saved; messages go to them from now on.")
        else:
            contact_changes.keep_old(actor=request.user, change=change)
            messages.success(request, "The old contact details are kept.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("patient_detail", pk=patient.pk)


@login_required
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk)
    _require(permissions.can_change_patient(request.user, patient))
    form = PatientForm(request.POST or None, instance=Patient.objects.get(pk=patient.pk))
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(form, lambda: services.patient_update(actor=request.user, patient=patient, **form.cleaned_data))
    ):
        messages.success(request, "Patient details saved.")
        return redirect("patient_detail", pk=patient.pk)
    audit.record_read(actor=request.user, action=audit.Read.PATIENT_VIEWED, obj=patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


@login_required
def patient_audit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, pk)
    _require(permissions.can_view_audit_trail(request.user, patient))
    events = AuditEvent.objects.filter(patient_id=patient.pk).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    lines = [(event, audit.describe(event)) for event in page.object_list]
    audit.record_read(actor=request.user, action=audit.Read.PATIENT_AUDIT_TRAIL_VIEWED, obj=patient)
    return render(request, "clinic/patient_audit.html", {"patient": patient, "page": page, "lines": lines})


@login_required
def clinic_audit(request: HttpRequest) -> HttpResponse:
    """The clinic's whole trail. The filter goes by GET (ids and dates only); finding a patient
    by name goes by POST, so names never appear in URLs, and narrows the patient select."""
    _require(permissions.can_view_clinic_audit(request.user))
    search = PatientSearchForm(request.POST if request.method == "POST" else None)
    found = []
    if search.is_bound and search.is_valid() and search.cleaned_data["q"]:
        found = list(selectors.patient_search(user=request.user, query=search.cleaned_data["q"])[:AUDIT_SEARCH_MATCHES])
        audit.record_shown(actor=request.user, action=audit.Read.PATIENT_SEARCHED, patients=found)
    trail = audit_trail.AuditTrailFilter(request.GET or None, user=request.user, found=found)
    chosen = trail.show_chosen()
    events = audit_trail.with_patient_names(trail.rows())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    lines = [(event, audit.describe(event)) for event in page.object_list]
    shown = {event.patient_id for event in page.object_list if event.patient_id is not None}
    audit.record_shown(
        actor=request.user,
        action=audit.Read.PATIENT_AUDIT_TRAIL_VIEWED,
        patients=sorted(shown | ({chosen.pk} if chosen else set())),
    )
    return render(
        request,
        "clinic/clinic_audit.html",
        {"trail": trail, "search": search, "found": found, "page": page, "lines": lines},
    )


@login_required
def clinic_audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered trail as CSV, streamed row by row; the export is itself recorded."""
    _require(permissions.can_view_clinic_audit(request.user))
    trail = audit_trail.AuditTrailFilter(request.GET or None, user=request.user)
    if trail.is_bound and not trail.is_valid():
        return clinic_audit(request)
    # The file holds the trail as it was when asked for: not the export's own row, nor the reads
    # of the patients it names, written with it.
    export = audit_trail.record_export(actor=request.user, terms=trail.used(), events=trail.rows())
    events = trail.rows().filter(pk__lt=export.pk)
    response = StreamingHttpResponse(
        audit_trail.csv_lines(events, request.user.clinic.zone),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


# --- Episodes of care ---------------------------------------------------------------------


@login_required
def episode_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = access.patient_for(request.user, patient_pk)
    _require(permissions.can_add_episode(request.user, patient))
    form = EpisodeForm(request.POST or None, user=request.user, initial={"opened_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        episode = _attempt(
            form, lambda: services.episode_open(actor=request.user, patient=patient, **form.cleaned_data)
        )
        if episode:
            messages.success(request, "Episode of care opened.")
            return redirect("episode_detail", pk=episode.pk)
    audit.record_read(actor=request.user, action=audit.Read.PATIENT_VIEWED, obj=patient)
    return render(request, "clinic/episode_form.html", {"form": form, "patient": patient, "episode": None})


@login_required
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A fixed number of queries whatever the episode holds (tests/clinic/test_episode_page.py):
    the panels' template tags get what they show loaded here or load it in one query each."""
    episode = access.episode_for(request.user, pk, "intake")
    patient = episode.patient
    _require(permissions.can_view_patient(request.user, patient))
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    can_view_clinical = permissions.can_view_clinical(request.user, patient)
    can_schedule = permissions.can_book_for(request.user, episode)
    plans = plan_selectors.episode_plans(episode)
    return render(
        request,
        "clinic/episode_detail.html",
        {
            "episode": episode,
            "patient": patient,
            "visits": schedule.visits_of(user=request.user, episode=episode),
            "can_schedule": can_schedule,
            "bookable": [episode] if can_schedule and episode.status == EpisodeStatus.OPEN else [],
            "can_edit": permissions.can_change_episode(request.user, episode),
            "can_view_clinical": can_view_clinical,
            "plans": plans,
            # The patient's home-program log is clinical content: not for the front desk.
            "home_program_logs": (
                portal_selectors.episode_adherence(plans, timezone.localdate(timezone.now(), patient.clinic.zone))
                if can_view_clinical
                else []
            ),
        },
    )


@login_required
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    episode = access.episode_for(request.user, pk)
    _require(permissions.can_change_episode(request.user, episode))
    form = EpisodeEditForm(
        request.POST or None,
        instance=EpisodeOfCare.objects.get(pk=episode.pk),
        user=request.user,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(form, lambda: services.episode_update(actor=request.user, episode=episode, **form.cleaned_data))
    ):
        messages.success(request, "Episode saved.")
        return redirect("episode_detail", pk=episode.pk)
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    return render(request, "clinic/episode_form.html", {"form": form, "patient": episode.patient, "episode": episode})


# --- Staff and clinic settings (clinic admin) ----------------------------------------------


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    page = Paginator(selectors.staff_list(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "clinic/staff_list.html", {"page": page})


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.staff_create(
                actor=request.user,
                email=data["email"],
                full_name=data["full_name"],
                roles=form.cleaned_roles(),
                credentials=data["credentials"],
            )

        if _attempt(form, write):
            messages.success(request, f"Account created; an invitation is on its way to {data['email']}.")
            return redirect("staff_list")
    return render(request, "clinic/staff_form.html", {"form": form, "staff": None})


@login_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    staff = access.staff_member_for(request.user, pk)
    profile = getattr(staff, "clinician_profile", None)
    initial = {
        "full_name": staff.full_name,
        "roles": [role.value for role in permissions.roles_of(staff)],
        "credentials": profile.credentials if profile else "",
        "is_active": staff.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def write():
            return services.staff_update(
                actor=request.user,
                staff=staff,
                full_name=data["full_name"],
                roles=form.cleaned_roles(),
                is_active=data["is_active"],
                credentials=data["credentials"],
            )

        if _attempt(form, write):
            messages.success(request, "Account saved.")
            return redirect("staff_list")
    return render(
        request,
        "clinic/staff_form.html",
        {"form": form, "staff": staff, "two_factor": two_factor_services.status_of(staff)},
    )


@login_required
@require_POST
def staff_resend_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    staff = access.staff_member_for(request.user, pk)
    services.staff_invitation_resend(actor=request.user, staff=staff)
    messages.success(request, f"A new invitation is on its way to {staff.email}.")
    return redirect("staff_list")


@login_required
def clinic_settings(request: HttpRequest) -> HttpResponse:
    """Two forms on one page, told apart by the submit button's name."""
    _require(permissions.can_change_clinic_settings(request.user))
    clinic = request.user.clinic
    posted = request.POST if request.method == "POST" else None
    saving_clinic = bool(posted and "save_clinic" in posted)
    form = ClinicSettingsForm(
        posted if saving_clinic else None,
        request.FILES if saving_clinic else None,
        instance=type(clinic).objects.get(pk=clinic.pk),
    )
    threshold_form = ThresholdsForm(
        posted if posted and "save_thresholds" in posted else None, current=thresholds.for_clinic(clinic)
    )
    if (
        form.is_bound
        and form.is_valid()
        and _attempt(form, lambda: services.clinic_update(actor=request.user, clinic=clinic, **form.cleaned_data))
    ):
        messages.success(request, "Clinic settings saved.")
        return redirect("clinic_settings")
    if threshold_form.is_bound and threshold_form.is_valid():
        services.thresholds_update(actor=request.user, clinic=clinic, values=threshold_form.cleaned_data)
        messages.success(request, "Clinical thresholds saved.")
        return redirect("clinic_settings")
    return render(request, "clinic/clinic_settings.html", {"form": form, "threshold_form": threshold_form})


# --- API tokens ------------------------------------------------------------------------------
# Two sets of pages share the templates: a clinic admin's, every token of the clinic
# (Staff → API tokens), and each staff member's own (My API tokens), the only place a token gets
# access to clinical records. ``own`` tells them apart.


def _token_pages(own: bool) -> dict:
    prefix = "my_api_token" if own else "api_token"
    return {
        "own": own,
        "list_url": f"{prefix}_list",
        "create_url": f"{prefix}_create",
        "revoke_url": f"{prefix}_revoke",
    }


def _token_list(request: HttpRequest, tokens, *, own: bool) -> HttpResponse:
    page = Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clinic/api_tokens.html", {"page": page, **_token_pages(own)})


def _token_create(request: HttpRequest, *, own: bool) -> HttpResponse:
    """On success the raw token is rendered in this response only; it is never stored or redirected."""
    user = request.user
    form = ApiTokenForm(
        request.POST or None,
        clinic=user.clinic,
        owners=None if own else api_tokens.token_owners(user=user),
        clinical=own and permissions.can_view_clinical_records(user),
    )
    if request.method == "POST" and form.is_valid():
        created = _attempt(
            form,
            lambda: api_tokens.api_token_create(
                actor=user,
                owner=user if own else form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_expires_at(),
                clinical_scope=form.cleaned_data.get("clinical_scope", False),
            ),
        )
        if created:
            token, raw_token = created
            context = {"token": token, "raw_token": raw_token, **_token_pages(own)}
            return render(request, "clinic/api_tokens_created.html", context)
    return render(request, "clinic/api_tokens_form.html", {"form": form, **_token_pages(own)})


def _token_revoke(request: HttpRequest, tokens, pk: int, *, own: bool) -> HttpResponse:
    token = get_object_or_404(tokens, pk=pk)
    pages = _token_pages(own)
    if request.method == "POST":
        api_tokens.api_token_revoke(actor=request.user, token=token)
        whose = "" if own else f" of {token.owner.full_name}"
        messages.success(request, f"The token “{token.name}”{whose} is revoked.")
        return redirect(pages["list_url"])
    return render(request, "clinic/api_tokens_revoke.html", {"token": token, **pages})


@login_required
def api_token_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    return _token_list(request, api_tokens.api_tokens_of_clinic(user=request.user), own=False)


@login_required
@never_cache
def api_token_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    return _token_create(request, own=False)


@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_staff(request.user))
    return _token_revoke(request, api_tokens.api_tokens_of_clinic(user=request.user), pk, own=False)


# drf-spectacular's views bring its schema generator, and with it Django's test client,
# unittest and Jinja2 (some 3 MiB): imported on the first request for the schema or the docs,
# not by every web and Celery process that loads the URLs.
@functools.cache
def _spectacular_view(name: str, **options):
    from drf_spectacular import views as spectacular_views

    return getattr(spectacular_views, name).as_view(**options)


@csrf_exempt
def api_schema(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """The OpenAPI schema (its own permissions: drf-spectacular's ``SERVE_PERMISSIONS``)."""
    return _spectacular_view("SpectacularAPIView")(request, *args, **kwargs)


# A person opening the docs without a session is sent to sign in, like every staff page.
@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API's reference, for the staff who may use the API."""
    _require(permissions.can_read_api_docs(request.user))
    page = _spectacular_view("SpectacularSwaggerView", url_name="api-schema", template_name="clinic/api_docs.html")
    return page(request)


@login_required
def my_api_token_list(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_hold_api_tokens(request.user))
    return _token_list(request, api_tokens.own_api_tokens(user=request.user), own=True)


@login_required
@never_cache
def my_api_token_create(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_hold_api_tokens(request.user))
    return _token_create(request, own=True)


@login_required
def my_api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_hold_api_tokens(request.user))
    return _token_revoke(request, api_tokens.own_api_tokens(user=request.user), pk, own=True)
