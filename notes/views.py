"""The visit note's pages: clinicians of the visit's clinic only (404 for another clinic's visit,
then 403 for a role without clinical records). The front desk sees a note's state on the visit
page through ``notes.templatetags``, never its content."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clinic import access, audit
from notes import rules, safety, selectors, services
from notes.forms import (
    AddendumForm,
    NewLineForm,
    NoteForm,
    NoteItemForm,
    PlanCertificationForm,
    ProgressReportForm,
)
from notes.measure_forms import PartForm, RemeasureForm
from notes.models import VisitNote


def _line_forms(note: VisitNote, data=None) -> list[NoteItemForm]:
    return [NoteItemForm(data, instance=item, prefix=f"line-{index}") for index, item in enumerate(note.items.all())]


def _new_line(visit, data=None) -> NewLineForm:
    return NewLineForm(data, prefix="new", picks=selectors.library_picks(visit.episode.patient.clinic))


def _with_safety(note: VisitNote, line_forms: list[NoteItemForm]) -> None:
    """Beside each line, what the episode's contraindications say about it: as stored, or as typed
    when a save was refused (a validated form has put the typed values on its line)."""
    lines = [selectors.line_of(form.instance) for form in line_forms]
    kinds = selectors.safety_lines(note.appointment.episode.patient.clinic, lines)
    screen = selectors.screen_safety_lines(note, kinds)
    for position, form in enumerate(line_forms):
        form.refused = screen.hard(position)
        form.cautions = screen.soft(position)
        form.is_thrust = safety.is_thrust(kinds[position].tags)


def _render(
    request, visit, note, *, note_form=None, line_forms=None, new_line=None, addendum_form=None, extra=None, status=200
):
    patient = visit.episode.patient
    audit.record_read(actor=request.user, action=audit.Read.VISIT_NOTE_VIEWED, obj=note or visit, patient=patient)
    editable = note is not None and not note.is_signed and note.author_id == request.user.pk
    overdue = editable and rules.to_finish(
        created_at=note.created_at,
        signed=False,
        now=timezone.now(),
        limit_hours=selectors.unsigned_limit_hours(patient.clinic),
    )
    context = {"visit": visit, "note": note, "editable": editable, "overdue": overdue}
    if note is not None:
        context["red_flags"] = selectors.note_red_flags(note)
    if editable:
        line_forms = line_forms if line_forms is not None else _line_forms(note)
        _with_safety(note, line_forms)
        context |= {
            "note_form": note_form or NoteForm(instance=note),
            "line_forms": line_forms,
            "new_line": new_line or _new_line(visit),
        }
    elif note is not None and note.is_signed:
        context["addendum_form"] = addendum_form or AddendumForm()
    # A section's own forms, bound, when its POST is answered with the page (notes.measure_views).
    context |= extra or {}
    return render(request, "notes/note.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def note(request: HttpRequest, pk: int) -> HttpResponse:
    """The note of a visit: to start, to edit and sign, or to read with its addenda once signed."""
    visit = access.clinical_visit_for(request.user, pk, change=request.method == "POST")
    note = selectors.note_for_page(visit)
    if request.method == "GET" or note is None:
        return _render(request, visit, note)
    if note.is_signed:
        messages.error(request, services.SIGNED_NOTE)
        return _render(request, visit, note, status=400)
    note_form = NoteForm(request.POST, instance=note)
    line_forms = _line_forms(note, request.POST)
    new_line = _new_line(visit, request.POST)
    forms_valid = [form.is_valid() for form in (note_form, *line_forms, new_line)]
    if all(forms_valid):
        lines = [(form.instance, _draft(form)) for form in line_forms]
        if not new_line.is_blank():
            lines.append((None, _draft(new_line)))
        try:
            services.note_save(actor=request.user, note=note, values=note_form.cleaned_data, lines=lines)
            if request.POST.get("action") == "sign":
                services.note_sign(actor=request.user, note=note)
        except services.RefusedLines as refused:
            # Beside the line's status; the sections and any red flag raised were saved.
            for position, line_messages in refused.refusals.items():
                form = line_forms[position] if position < len(line_forms) else new_line
                form.add_error("status", line_messages)
            messages.error(request, "The rest of the note was saved; the treatment lines were not.")
        except ValidationError as error:
            note_form.add_error(None, error)
        else:
            signed = request.POST.get("action") == "sign"
            messages.success(request, "Note signed." if signed else "Note saved.")
            return redirect("visit_note", pk=visit.pk)
    # Shown with what was typed; the note's lines as they were stored.
    return _render(request, visit, note, note_form=note_form, line_forms=line_forms, new_line=new_line, status=400)


def _draft(form) -> rules.LineDraft:
    """The line as typed; a field the form did not show (another prong's dose) keeps its value."""

    def value(name: str):
        if name not in form.fields:
            return getattr(form.instance, name)
        typed = form.cleaned_data.get(name)
        return "" if typed is None and name not in ("minutes", "sets") else typed

    return rules.LineDraft(
        prong=value("prong") if "prong" in form.fields else form.instance.prong,
        name=value("name") if "name" in form.fields else form.instance.name,
        intervention_key=value("intervention_key"),
        **{name: value(name) for name in services.LINE_FIELDS},
    )


@login_required
@require_POST
def note_open(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access.clinical_visit_for(request.user, pk, change=True)
    try:
        services.note_open(actor=request.user, appointment=visit)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("schedule_visit", pk=visit.pk)
    return redirect("visit_note", pk=visit.pk)


def _visit_and_note(request: HttpRequest, pk: int):
    """The visit a change posts to (404 / 403 as the note's page) and its note; with no note yet,
    a message says so and the caller answers with the note's page."""
    visit = access.clinical_visit_for(request.user, pk, change=True)
    note = selectors.note_for_page(visit)
    if note is None:
        messages.error(request, "This visit has no note yet.")
    return visit, note


@login_required
@require_POST
def addendum_add(request: HttpRequest, pk: int) -> HttpResponse:
    visit, note = _visit_and_note(request, pk)
    if note is None:
        return redirect("visit_note", pk=visit.pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(actor=request.user, note=note, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect("visit_note", pk=visit.pk)
    return _render(request, visit, note, addendum_form=form, status=400)


# --- The Objective section's re-measures and PART rows -------------------------------------------------


@login_required
@require_POST
def note_measures(request: HttpRequest, pk: int) -> HttpResponse:
    """Add (or measure again) a re-measure or a segment's PART exam, or take one off, on the
    author's unsigned note. Answered with the note page, what was typed kept, on any problem."""
    visit, note = _visit_and_note(request, pk)
    if note is None:
        return redirect("visit_note", pk=visit.pk)
    action = request.POST.get("action", "")
    form = None
    try:
        if action == "add-measure":
            form = RemeasureForm(request.POST)
            if form.is_valid():
                services.measure_save(actor=request.user, note=note, measure=form.remeasure())
                messages.success(request, "Re-measure saved.")
                return redirect("visit_note", pk=visit.pk)
        elif action == "add-part":
            form = PartForm(request.POST)
            if form.is_valid():
                services.part_save(
                    actor=request.user, note=note, segment=form.cleaned_data["segment"], exam=form.exam()
                )
                messages.success(request, "PART findings saved.")
                return redirect("visit_note", pk=visit.pk)
        elif action in ("remove-measure", "remove-part") and (row := _row_id(request.POST.get("row"))):
            if action == "remove-measure":
                services.measure_remove(actor=request.user, note=note, measure_id=row)
            else:
                services.part_remove(actor=request.user, note=note, part_id=row)
            messages.success(request, "Removed from the note.")
            return redirect("visit_note", pk=visit.pk)
        else:
            messages.error(request, "Nothing to save: choose what to add or remove.")
    except ValidationError as error:
        # A signed note, or another's, shows no form to hold the refusal: it is a message.
        if form is not None and not note.is_signed and note.author_id == request.user.pk:
            form.add_error(None, error)
        else:
            for message in error.messages:
                messages.error(request, message)
    extra = {}
    if form is not None:
        extra["measure_form" if isinstance(form, RemeasureForm) else "part_form"] = form
    return _render(request, visit, note, extra=extra, status=400)


def _row_id(value: str | None) -> int | None:
    """A row's id as posted; None for anything that is not one."""
    if value and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


@login_required
@require_POST
def plan_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft a new plan version with the home-program changes of the note's progressions."""
    visit, note = _visit_and_note(request, pk)
    if note is None:
        return redirect("visit_note", pk=visit.pk)
    try:
        draft = services.note_plan_draft(actor=request.user, note=note)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Drafted plan version {draft.number}, awaiting your signature on the plan's page.")
    return redirect("visit_note", pk=visit.pk)


@login_required
@require_http_methods(["GET", "POST"])
def progress_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a re-assessment as the episode's progress report: the form, pre-filled with the signed plan's
    goals; once recorded, the assessment's page shows the report."""
    assessment = access.assessment_for(request.user, pk, change=True)
    if hasattr(assessment, "progress_report"):
        return redirect("assessment_detail", pk=assessment.pk)
    form = ProgressReportForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.progress_report_record(actor=request.user, assessment=assessment, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Progress report recorded; the count of treatment days starts again.")
            return redirect("assessment_detail", pk=assessment.pk)
    goals = selectors.report_goals(assessment)
    if not form.is_bound:
        form.initial["goal_progress"] = "\n".join(f"{goal}: " for goal in goals)
    audit.record_read(actor=request.user, action=audit.Read.ASSESSMENT_VIEWED, obj=assessment)
    context = {"assessment": assessment, "form": form, "goals": goals}
    return render(request, "notes/progress_report.html", context, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def plan_certification(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a physician or non-physician practitioner re-certified the episode's plan of care (from the
    dashboard's list of re-certifications due); the certified period starts again on its day."""
    episode = access.clinical_episode_for(request.user, pk, change=True)
    if not episode.patient.clinic.progress_reports:
        raise Http404
    form = PlanCertificationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.plan_certification_record(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Re-certification recorded; the certified period starts again on its day.")
            return redirect("dashboard")
    audit.record_read(actor=request.user, action=audit.Read.EPISODE_VIEWED, obj=episode)
    context = {"episode": episode, "form": form, "last": selectors.last_certification(episode)}
    return render(request, "notes/plan_certification.html", context, status=400 if form.is_bound else 200)
