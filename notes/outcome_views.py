"""The clinic outcomes page and its CSV: aggregates only, for the clinic's clinicians and its admin."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.findings import CLINICIAN_CONDITION_LABELS
from assessments.progress import MEASURE_LABELS
from clinic import audit, permissions, thresholds
from clinic.permissions import Role
from notes import outcome_selectors, outcomes
from notes.outcome_forms import OutcomesFilterForm
from plans.library import PRONG_LABELS

OUTCOME_ROLES = frozenset({Role.CLINICIAN, Role.CLINIC_ADMIN})


def can_view_outcomes(user) -> bool:
    return bool(user.clinic_id) and bool(permissions.roles_of(user) & OUTCOME_ROLES)


def _labels(group: outcomes.Group) -> tuple[str, str, str]:
    condition = CLINICIAN_CONDITION_LABELS.get(group.condition, group.condition) or "No condition coded"
    rule = group.rule or "No signed plan"
    return condition, rule, PRONG_LABELS.get(group.prong, group.prong)


def _csv(groups: list[outcomes.Group]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    writer = csv.writer(response)
    writer.writerow(["condition", "rule", "prong", "figure", "value", "episodes"])
    for group in groups:
        labels = _labels(group)
        figures = [
            ("median visits", group.visits),
            ("median weeks", group.weeks),
            ("share lost to follow-up (%)", group.lost),
        ]
        for summary in group.measures:
            name = MEASURE_LABELS.get(summary.measure, summary.measure)
            figures += [(f"{name}: share reaching MCID (%)", summary.mcid)]
            figures += [(f"{name}: share reaching PASS (%)", summary.acceptable)]
        writer.writerow([*labels, "discharged episodes", group.n, group.n])
        for name, figure in figures:
            value = figure.percent if isinstance(figure, outcomes.Share) else figure.value
            writer.writerow([*labels, name, outcomes.TOO_FEW if not figure.judged else value, figure.n])
    return response


@login_required
def outcome_page(request: HttpRequest, csv_export: bool = False) -> HttpResponse:
    user = request.user
    if not can_view_outcomes(user):
        raise PermissionDenied
    csv_export = csv_export or request.GET.get("format") == "csv"
    form = OutcomesFilterForm(request.GET, user=user)
    limits = thresholds.for_clinic(user.clinic)
    minimum = int(limits["outcomes_min_group"])
    groups = []
    if form.is_valid():
        tallies = outcome_selectors.tallies(user, form.filters())
        groups = outcomes.summarise_tallies(
            tallies, minimum=minimum, measures=outcome_selectors.MEASURES, condition=form.condition_code()
        )
    elif csv_export:
        csv_export = False
    # A read of aggregates: no patient is shown, so the row names the reader, not a patient.
    audit.record(actor=user, action="outcomes.exported" if csv_export else "outcomes.viewed", obj=user)
    if csv_export:
        return _csv(groups)
    measures = [
        measure
        for measure in outcome_selectors.MEASURES
        if any(summary.measure == measure for group in groups for summary in group.measures)
    ]
    tables = [
        {
            "measure": measure,
            "label": MEASURE_LABELS.get(measure, measure),
            "rows": [
                (_labels(group), summary)
                for group in groups
                for summary in group.measures
                if summary.measure == measure
            ],
        }
        for measure in measures
    ]
    context = {
        "form": form,
        "groups": [(_labels(group), group) for group in groups],
        "tables": tables,
        "minimum": minimum,
        "query": request.GET.urlencode(),
    }
    return render(request, "notes/outcomes/page.html", context, status=200 if form.is_valid() else 400)
