"""Assessment pages: start, the one-screen exam form, findings, and progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from assessments import charts, finding_order, outcome_measures, progress, selectors, services
from assessments.forms import (
    AddFindingForm,
    AssessmentForm,
    DismissFindingForm,
    StartAssessmentForm,
    initial_from,
    keep_start_form,
)
from clinic import access, audit, permissions, thresholds

CHANGE_LABELS = {
    progress.Change.IMPROVED: "Improved",
    progress.Change.NO_CHANGE: "No change",
    progress.Change.WORSE: "Worse",
    progress.Change.NOT_COMPARABLE: "Not comparable",
}


def _errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def assessment_start(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, episode_pk)
    form = StartAssessmentForm(request.POST)
    if form.is_valid():
        try:
            assessment = services.assessment_start(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            _errors_to_messages(request, error)
        else:
            return redirect("assessment_detail", pk=assessment.pk)
    # Back to the episode page, where the start form shows what was typed with each error beside its field.
    keep_start_form(request, episode.pk, form)
    page = reverse("episode_detail", args=[episode.pk])
    return redirect(f"{page}#start-assessment" if form.errors else page)


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft shows the exam form; a completed assessment shows its findings and, read-only in the
    form's section order, everything recorded."""
    assessment = access.assessment_for(request.user, pk)
    can_change = permissions.can_change_clinical(request.user, assessment.episode.patient)
    if assessment.is_completed and request.method == "POST":
        messages.error(request, "This assessment is completed; reopen it to change it.")
        return redirect("assessment_detail", pk=assessment.pk)
    if assessment.is_completed:
        audit.record_read(actor=request.user, action=audit.Read.ASSESSMENT_VIEWED, obj=assessment)
        summary = selectors.summary(assessment)
        findings = list(assessment.findings.select_related("dismissed_by", "added_by"))
        return render(
            request,
            "assessments/assessment_result.html",
            {
                "assessment": assessment,
                "episode": assessment.episode,
                "patient": assessment.episode.patient,
                "summary": summary,
                "record": selectors.exam_record(assessment, summary),
                "finding_tiers": finding_order.tiers(finding for finding in findings if finding.is_active),
                "dismissed_findings": finding_order.ordered(finding for finding in findings if not finding.is_active),
                "dismiss_form": DismissFindingForm(),
                "add_form": AddFindingForm(),
                "can_change": can_change,
            },
        )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = AssessmentForm(request.POST)
        if form.is_valid():
            saved = False
            try:
                services.assessment_save(
                    actor=request.user, assessment=assessment, visit=form.visit(), exam=form.exam()
                )
                saved = True
                if "complete" in request.POST:
                    services.assessment_complete(actor=request.user, assessment=assessment)
                    messages.success(request, "Assessment completed; findings derived below.")
                else:
                    messages.success(request, "Draft saved.")
                return redirect("assessment_detail", pk=assessment.pk)
            except ValidationError as error:
                form.add_error(None, error)
                if saved:
                    messages.info(request, "Saved as a draft; not completed.")
    else:
        form = AssessmentForm(initial=initial_from(assessment))
    audit.record_read(actor=request.user, action=audit.Read.ASSESSMENT_VIEWED, obj=assessment)
    return render(
        request,
        "assessments/assessment_form.html",
        {"assessment": assessment, "episode": assessment.episode, "patient": assessment.episode.patient, "form": form},
    )


@login_required
@require_POST
def assessment_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk)
    services.assessment_reopen(actor=request.user, assessment=assessment)
    messages.success(request, "Reopened as a draft. Completing it again re-derives the findings.")
    return redirect("assessment_detail", pk=assessment.pk)


@login_required
@require_POST
def finding_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    finding = access.finding_for(request.user, pk, change=True)
    form = DismissFindingForm(request.POST)
    if form.is_valid():
        services.finding_dismiss(actor=request.user, finding=finding, reason=form.cleaned_data["reason"])
        messages.success(request, "Finding dismissed; plans will not use it.")
    else:
        messages.error(request, "Say why the finding is dismissed.")
    return redirect("assessment_detail", pk=finding.assessment_id)


@login_required
@require_POST
def finding_restore(request: HttpRequest, pk: int) -> HttpResponse:
    finding = access.finding_for(request.user, pk, change=True)
    services.finding_restore(actor=request.user, finding=finding)
    messages.success(request, "Finding restored.")
    return redirect("assessment_detail", pk=finding.assessment_id)


@login_required
@require_POST
def finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, change=True)
    form = AddFindingForm(request.POST)
    if form.is_valid():
        try:
            services.finding_add(actor=request.user, assessment=assessment, **form.cleaned_data)
            messages.success(request, "Finding added.")
        except ValidationError as error:
            _errors_to_messages(request, error)
    else:
        messages.error(request, "Give the finding a name and a reason.")
    return redirect("assessment_detail", pk=assessment.pk)


@login_required
def episode_progress(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = access.clinical_episode_for(request.user, episode_pk)
    audit.record_read(actor=request.user, action=audit.Read.PROGRESS_VIEWED, obj=episode)
    records = selectors.progress_records(episode)
    first, last, comparisons = selectors.comparisons(episode, records)
    rows = [
        (progress.MEASURE_LABELS[comparison.measure], comparison, CHANGE_LABELS[comparison.change])
        for comparison in comparisons
    ]
    series = selectors.chart_series(episode, records)
    context = {"episode": episode, "patient": episode.patient, "first": first, "last": last, "rows": rows}
    context["hip_measures"] = outcome_measures.judge(records.outcomes, records.limits, thresholds.mcid(records.limits))
    if first is not None:
        # The SVG comes from our own chart code, which escapes every text it writes.
        context["rom_chart"] = mark_safe(charts.rom_chart(series["rom"]))  # noqa: S308
        context["rom_left_out"] = series["rom_left_out"]
        context["outcome_chart"] = mark_safe(charts.outcome_chart(series["outcomes"]))  # noqa: S308
        context["fms_chart"] = mark_safe(charts.fms_profile_chart(series["fms"]))  # noqa: S308
        context["rom_table"] = charts.rom_table(series["rom"])
        context["outcome_table"] = charts.outcome_table(series["outcomes"])
        context["fms_table"] = charts.fms_table(series["fms"])
    context["today"] = timezone.localdate()
    return render(request, "assessments/progress.html", context)
