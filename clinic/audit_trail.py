"""The clinic's whole audit trail as its clinic admins read it: the filter, the rows, the CSV.

Every queryset here starts from the admin's own clinic's rows (``permissions.scoped``), and the
filter's choices (staff, patients) are the clinic's own, so another clinic's staff or patient id
is a form error, never their rows. What a row says of clinical records is ``audit.describe``'s,
as on a patient's trail.
"""

from __future__ import annotations

import csv
import datetime
import logging
from collections.abc import Iterable, Iterator

import django_filters
from django import forms
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from clinic import audit, permissions, plausible_dates
from clinic.models import AuditEvent, Patient, User

logger = logging.getLogger(__name__)

EXPORTED = "audit_trail.exported"
# A cell a spreadsheet would read as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = [
    "time",
    "staff member",
    "action",
    "patient id",
    "patient name",
    "object type",
    "object id",
    "changed fields",
]


def neutralise(cell: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def action_choices(events: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """The actions present in ``events`` that name no clinical detail: an action recorded
    against a clinical record is shown only as a read or write of one, so it is no choice."""
    pairs = events.order_by().values_list("action", "object_type").distinct()
    clinical, plain = set(), set()
    for action, object_type in pairs:
        (clinical if audit.is_clinical(action, object_type) else plain).add(action)
    return [(action, action) for action in sorted(plain - clinical)]


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class AuditTrailFilter(django_filters.FilterSet):
    staff = django_filters.ModelChoiceFilter(
        field_name="actor", queryset=User.objects.none(), label="Staff member", empty_label="Anyone"
    )
    patient = django_filters.ModelChoiceFilter(
        method="_of_patient", queryset=Patient.objects.none(), label="Patient", empty_label="Any patient"
    )
    action = django_filters.ChoiceFilter(choices=(), label="Action", empty_label="Any action")
    start = django_filters.DateFilter(method="_from", label="From", widget=_DateInput())
    end = django_filters.DateFilter(method="_to", label="To", widget=_DateInput())

    class Meta:
        model = AuditEvent
        fields = ["staff", "patient", "action", "start", "end"]

    def __init__(self, data=None, *, user: User, found: Iterable[Patient] = ()):
        self.zone = user.clinic.zone
        events = permissions.scoped(user, AuditEvent)
        super().__init__(data, queryset=events.select_related("actor"))
        fields = self.form.fields
        fields["staff"].queryset = User.objects.filter(clinic_id=user.clinic_id).order_by("full_name", "pk")
        # Any patient of the clinic is a valid choice (a link may name one by id);
        # the select lists only the patients a search found, and the one chosen.
        fields["patient"].queryset = permissions.scoped_patients(user)
        fields["patient"].widget.choices = [("", "Any patient"), *((p.pk, f"{p.full_name} (#{p.pk})") for p in found)]
        fields["action"].choices = action_choices(events)
        self.form.clean = self._clean_dates

    def rows(self) -> QuerySet[AuditEvent]:
        """The events the filter chose; none while it has errors (an id of another clinic's
        staff or patient is one), so what shows is never more than was asked for."""
        if self.is_bound and not self.is_valid():
            return AuditEvent.objects.none()
        return self.qs

    def show_chosen(self) -> Patient | None:
        """The chosen patient, added to the select if a search did not find them (kept while
        another field has an error)."""
        # ``errors`` cleans the form once; a valid field is in ``cleaned_data`` whatever the others.
        if not self.is_bound or "patient" in self.form.errors:
            return None
        chosen = self.form.cleaned_data.get("patient")
        widget = self.form.fields["patient"].widget
        if chosen is not None and chosen.pk not in {value for value, _ in widget.choices}:
            widget.choices = [*widget.choices, (chosen.pk, f"{chosen.full_name} (#{chosen.pk})")]
        return chosen

    def _clean_dates(self) -> dict:
        form, today = self.form, timezone.localdate(timezone.now(), self.zone)
        data = form.cleaned_data
        for name in ("start", "end"):
            day = data.get(name)
            problem = day and plausible_dates.problem(day, today)
            if problem:
                form.add_error(name, problem)
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            form.add_error("end", "The end date is before the start date.")
        return form.cleaned_data

    def _midnight(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=self.zone)

    def _of_patient(self, queryset, name, value):
        return queryset.filter(patient_id=value.pk)

    def _from(self, queryset, name, value):
        return queryset.filter(at__gte=self._midnight(value))

    def _to(self, queryset, name, value):
        return queryset.filter(at__lt=self._midnight(value + datetime.timedelta(days=1)))

    def used(self) -> list[str]:
        """The filter as ``name=value`` terms, ids and dates only (no names): what an export
        records of how its rows were chosen."""
        terms = []
        for name, value in (self.form.cleaned_data if self.is_bound else {}).items():
            if value in (None, ""):
                continue
            terms.append(f"{name}={getattr(value, 'pk', value)}")
        return terms


def with_patient_names(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Each row's patient name, read in the same query (a patient of the row's clinic only)."""
    name = Patient.objects.filter(pk=OuterRef("patient_id"), clinic_id=OuterRef("clinic_id")).values(
        full=Concat("first_name", Value(" "), "last_name", output_field=CharField())
    )
    return events.annotate(patient_name=Subquery(name))


def csv_rows(events: QuerySet[AuditEvent], zone) -> Iterator[list[str]]:
    """The header, then one row per event; every cell neutralised against formulas."""
    yield CSV_HEADER
    for event in with_patient_names(events).iterator(chunk_size=2000):
        line = audit.describe(event)
        cells = [
            timezone.localtime(event.at, zone).isoformat(),
            event.actor.full_name if event.actor else "System",
            line.what,
            event.patient_id,
            event.patient_name,
            # A clinical record is named by its part of the chart, as ``describe`` names it.
            audit.CLINICAL_RECORD_KINDS.get(event.object_type, event.object_type),
            event.object_id,
            ", ".join(line.changed_fields),
        ]
        yield [neutralise(cell) for cell in cells]


class _Echo:
    """A file-like object whose write returns the line, for streaming with csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent], zone) -> Iterator[str]:
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in csv_rows(events, zone))


def record_export(*, actor: User, terms: list[str], events: QuerySet[AuditEvent]) -> AuditEvent:
    """The export is itself on the trail: by whom, with which filter (ids and dates only), with
    a read of each patient the file names; returns the export's row, which the file ends before."""
    logger.info("audit trail exported by staff %s with filter %s", actor.pk, " ".join(terms) or "none")
    named = events.exclude(patient_id=None).order_by().values_list("patient_id", flat=True).distinct()
    return audit.record_with_reads(
        actor=actor,
        action=EXPORTED,
        obj=actor,
        changed_fields=terms,
        read=audit.Read.PATIENT_AUDIT_TRAIL_VIEWED,
        patients=list(named),
    )
