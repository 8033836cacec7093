"""Intake views: the patient's link-based flow and the staff's invitation and summary pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import to_python

from clinic import access, audit, link_pages, permissions, phone_display
from clinic.client_address import client_ip
from intake import instruments, rules, selectors, services, steps
from intake.forms import DISTANCE_UNITS, InvitationForm, RedFlagClearForm, ReviewNoteForm, as_km, psfs_answers
from intake.models import Intake

# --- The patient's side ---------------------------------------------------------------------


def _open_link(request: HttpRequest, token: str):
    """The invitation the link opens, or the friendly page that says why it opens nothing."""
    return link_pages.open_link(
        request,
        lambda: selectors.invitation_for_link(token),
        group="intake-bad-link",
        template="intake/link_problem.html",
        clinic_of=lambda invitation: invitation.intake.episode.patient.clinic,
    )


def _patient_context(invitation, **extra) -> dict:
    """The context of a page of the patient's side; each shows the intake, so each is a read."""
    intake = invitation.intake
    audit.record_read(actor=None, action=audit.Read.INTAKE_VIEWED_BY_PATIENT, obj=intake)
    return {"clinic": intake.episode.patient.clinic, "intake": intake, "token_steps": steps.STEPS, **extra}


@never_cache
def intake_start(request: HttpRequest, token: str) -> HttpResponse:
    invitation, problem = _open_link(request, token)
    if problem:
        return problem
    services.intake_opened(invitation=invitation)
    if invitation.intake.is_submitted:
        return redirect("intake_done", token=token)
    return redirect("intake_step", token=token, step=steps.first_unfinished(invitation.intake).code)


@never_cache
def intake_step(request: HttpRequest, token: str, step: str) -> HttpResponse:
    invitation, problem = _open_link(request, token)
    if problem:
        return problem
    intake = invitation.intake
    if intake.is_submitted:
        return redirect("intake_done", token=token)
    current = steps.BY_CODE.get(step)
    if current is None:
        return redirect("intake_start", token=token)
    if request.method != "POST":
        return _render_step(request, invitation, current, steps.build_form(current, intake))

    raw = {key: values for key, values in request.POST.lists() if key not in {"csrfmiddlewaretoken", "go"}}
    if request.POST.get("go") == "back":
        # Going back keeps what was typed on this step, valid or not.
        services.step_save_draft(intake=intake, step_code=current.code, raw=raw)
        previous = steps.previous_step(current) or current
        return redirect("intake_step", token=token, step=previous.code)

    form = steps.build_form(current, intake, data=request.POST)
    if not form.is_valid():
        services.step_save_draft(intake=intake, step_code=current.code, raw=raw)
        return _render_step(request, invitation, current, form)
    if current.code == "review":
        try:
            services.intake_submit(intake=intake)
        except ValidationError as error:
            form.add_error(None, error)
            return _render_step(request, invitation, current, form)
        return redirect("intake_done", token=token)

    services.step_save(
        intake=intake, step_code=current.code, answers=form.cleaned_data, client_ip=client_ip(request) or None
    )
    following = steps.next_step(current)
    if current.code == "red_flags" and form.emergency_answers():
        return render(
            request,
            "intake/emergency.html",
            _patient_context(invitation, instruction=rules.EMERGENCY_INSTRUCTION, next_step=following, token=token),
        )
    return redirect("intake_step", token=token, step=following.code)


def _render_step(request: HttpRequest, invitation, step: steps.Step, form) -> HttpResponse:
    intake = invitation.intake
    context = _patient_context(
        invitation,
        step=step,
        form=form,
        token=request.resolver_match.kwargs["token"],
        position=steps.STEPS.index(step) + 1,
        previous=steps.previous_step(step),
        saved_steps=set(intake.answers),
    )
    if step.code == "review":
        context["review"] = _review_rows(intake)
        context["unscorable"] = services.unscorable_questionnaires(intake)
    if step.code == "complaint":
        context["regions"] = instruments.BODY_REGIONS
    return render(request, "intake/step.html", context)


def _review_rows(intake: Intake) -> list[tuple[steps.Step, bool, list[tuple[str, str]]]]:
    """Each step, whether it is saved, and the patient's answers to check before submitting."""
    groups = dict(_answer_groups(intake.answers, intake.episode.patient.clinic))
    rows = []
    for step in steps.STEPS[:-1]:
        answers = groups.get(step.title, [])
        if step.code == "consent" and step.code in intake.answers:
            answers = [("Signed by", _signed_by(intake.answers["consent"]))]
        elif step.code == "questionnaires" and step.code in intake.answers:
            answers = _questionnaire_counts(intake)
        rows.append((step, step.code in intake.answers, answers))
    return rows


def _signed_by(consent: dict) -> str:
    signature, relationship = consent["signature"], consent.get("relationship")
    return f"{signature} ({relationship}, for the patient)" if relationship else signature


def _questionnaire_counts(intake: Intake) -> list[tuple[str, str]]:
    answers = intake.answers.get("questionnaires", {})
    return [
        (
            instrument.name,
            f"{sum(answers.get(f'{instrument.code}__{item.code}') not in (None, '') for item in instrument.items)} "
            f"of {len(instrument.items)} answered",
        )
        for instrument in steps.chosen_instruments(intake)
    ] + [("Activities that are hard for you", name) for name in psfs_answers(answers)[1].values()]


@never_cache
def intake_done(request: HttpRequest, token: str) -> HttpResponse:
    invitation, problem = _open_link(request, token)
    if problem:
        return problem
    intake = invitation.intake
    if not intake.is_submitted:
        return redirect("intake_start", token=token)
    emergency = intake.red_flags.filter(tier="emergency", cleared_at__isnull=True).exists()
    return render(
        request,
        "intake/done.html",
        _patient_context(invitation, emergency=emergency, instruction=rules.EMERGENCY_INSTRUCTION),
    )


# --- Staff: invitations -------------------------------------------------------------------------


@login_required
@require_POST
def invitation_send(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.episode_for(request.user, episode_pk)
    if not permissions.can_change_episode(request.user, episode):
        raise PermissionDenied
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_send(actor=request.user, episode=episode, channel=form.cleaned_data["channel"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "The intake link is on its way to the patient.")
    else:
        messages.error(request, "Choose e-mail or text message.")
    return redirect("episode_detail", pk=episode.pk)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.episode_for(request.user, episode_pk)
    if not permissions.can_change_episode(request.user, episode):
        raise PermissionDenied
    invitation = selectors.latest_invitation(selectors.intake_of(episode))
    if invitation is not None:
        services.invitation_revoke(actor=request.user, invitation=invitation)
        messages.success(request, "The intake link no longer works. Send a new one when needed.")
    return redirect("episode_detail", pk=episode.pk)


# --- Staff: the clinician's summary ----------------------------------------------------------------


def _distance_rows(running: dict) -> list[tuple[str, str]]:
    unit = running.get("distance_unit", "km")
    unit_label = dict(DISTANCE_UNITS).get(unit, unit).lower()
    rows = []
    for key, label in [
        ("weekly_now", "Weekly distance now"),
        ("weekly_2_weeks_ago", "Weekly distance two weeks ago"),
        ("weekly_4_weeks_ago", "Weekly distance four weeks ago"),
        ("longest_last_7_days", "Longest run, last 7 days"),
        ("longest_prior_30_days", "Longest run, the 30 days before"),
    ]:
        value = running.get(key)
        rows.append((label, "—" if value in (None, "") else f"{value} {unit_label}"))
    change = rules.percent_change(
        as_km(running.get("weekly_4_weeks_ago"), unit), as_km(running.get("weekly_now"), unit)
    )
    if change is not None:
        rows.append(("Change in weekly distance over four weeks", f"{change:+.0f} %"))
    return rows


@login_required
def intake_summary(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, episode_pk)
    intake = get_object_or_404(Intake.objects.prefetch_related("scores", "review_notes__author"), episode=episode)
    note_form = ReviewNoteForm(request.POST or None)
    if request.method == "POST":
        if not permissions.can_change_clinical(request.user, episode.patient):
            raise PermissionDenied
        if note_form.is_valid():
            services.review_note_add(actor=request.user, intake=intake, text=note_form.cleaned_data["text"])
            messages.success(request, "Note added.")
            return redirect("intake_summary", episode_pk=episode.pk)
    audit.record_read(actor=request.user, action=audit.Read.INTAKE_VIEWED, obj=intake)
    answers = intake.answers
    context = {
        "episode": episode,
        "patient": episode.patient,
        "intake": intake,
        "answers": answers,
        "red_flags": episode.red_flags.select_related("cleared_by").all(),
        "scores": intake.scores.all(),
        "regions": instruments.BODY_REGIONS,
        "selected_regions": set(answers.get("complaint", {}).get("regions", [])),
        "selected_region_labels": [
            label for code, label in instruments.BODY_REGIONS if code in answers.get("complaint", {}).get("regions", [])
        ],
        "distance_rows": _distance_rows(answers.get("running", {})),
        "ten_percent": rules.TEN_PERCENT_GUIDANCE,
        "groups": _answer_groups(answers, episode.patient.clinic),
        "note_form": note_form,
        "clear_form": RedFlagClearForm(),
        "can_change": permissions.can_change_clinical(request.user, episode.patient),
    }
    return render(request, "intake/summary.html", context)


def _answer_groups(answers: dict, clinic) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each step's answers as (question, answer) pairs, labelled as the patient saw them; a phone
    number as dialled from the clinic's country."""
    region = phone_display.clinic_region(clinic)
    groups = []
    for step in steps.STEPS:
        if step.code in {"review", "questionnaires", "consent"} or step.code not in answers:
            continue
        form = step.form_class()
        rows = []
        for name, value in answers[step.code].items():
            field = form.fields.get(name)
            if field is None:
                continue
            choices = dict(getattr(field, "choices", []) or [])
            if isinstance(field, PhoneNumberField) and value:
                shown = phone_display.display(to_python(value, region=region), region)
            elif isinstance(value, list):
                shown = ", ".join(str(choices.get(item, item)) for item in value) or "—"
            else:
                shown = str(choices.get(value, choices.get(str(value), value))) if value not in (None, "") else "—"
            rows.append((field.label, shown))
        groups.append((step.title, rows))
    return groups


@login_required
@require_POST
def red_flag_clear(request: HttpRequest, pk: int) -> HttpResponse:
    flag = access.red_flag_for(request.user, pk, change=True)
    form = RedFlagClearForm(request.POST)
    if form.is_valid():
        services.red_flag_clear(actor=request.user, red_flag=flag, note=form.cleaned_data["note"])
        messages.success(request, "Clearance recorded.")
    else:
        messages.error(request, "Say why the flag is cleared, e.g. who gave medical clearance and when.")
    return redirect("intake_summary", episode_pk=flag.episode_id)
