"""The assessment's "Outcome measures" page: HOS, iHOT-12 and VISA-G score-only, and the PSFS re-rated."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from assessments import measure_forms, measure_selectors, measure_services
from clinic import access, audit, thresholds


@login_required
def assessment_measures(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, change=True)
    if assessment.is_completed:
        messages.error(request, "This assessment is completed; reopen it to change its outcome measures.")
        return redirect("assessment_detail", pk=assessment.pk)
    limits = thresholds.for_clinic(assessment.episode.patient.clinic)
    if request.method == "POST":
        form = measure_forms.OutcomeMeasuresForm(request.POST, limits=limits)
        if form.is_valid():
            try:
                measure_services.outcome_measures_save(actor=request.user, assessment=assessment, entries=form.entries)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Outcome measures saved.")
                return redirect("assessment_detail", pk=assessment.pk)
    else:
        initial = measure_forms.initial_from(
            measure_selectors.saved(assessment), measure_selectors.earlier_psfs(assessment)
        )
        form = measure_forms.OutcomeMeasuresForm(initial=initial, limits=limits)
    audit.record_read(actor=request.user, action=audit.Read.ASSESSMENT_VIEWED, obj=assessment)
    return render(
        request,
        "assessments/outcome_measures.html",
        {"assessment": assessment, "episode": assessment.episode, "patient": assessment.episode.patient, "form": form},
    )
