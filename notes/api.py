"""REST API of visit notes: read, open, edit and sign notes and add addenda (clinicians of the
visit's clinic), and each visit's note state, signed, draft or none (whoever schedules, so the
front desk can check a visit out), never a note's content. Every write is a service of
``notes.services``; the serializers only check the shape of what is sent."""

from __future__ import annotations

import dataclasses

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import (
    AuditedReadsMixin,
    ETagMixin,
    ScopedFilterSet,
    ScopedModelSerializer,
    ScopedPrimaryKeyRelatedField,
    etag_read_schema,
    etag_write_schema,
)
from clinic.drf import call_service as _call
from clinic.models import EpisodeOfCare
from clinic.scheduling.models import Appointment
from notes import rules, selectors, services
from notes.models import NOTE_FIELDS, NoteAddendum, NoteItem, VisitNote
from notes.models import Response as TreatmentResponse

NOTE_STATE_HELP = "signed: the visit has a signed note; draft: a note is being written; none: no note yet."
# What a line added at the visit must name, and how the message calls it.
NEW_LINE_NEEDS = {"prong": "prong", "name": "intervention"}


@extend_schema_serializer(component_name="VisitNoteLine")
class LineSerializer(ScopedModelSerializer):
    """One intervention line. Sent without ``id``, a line added at the visit (``prong`` and
    ``name`` required); with the ``id`` of one of the note's lines, a change to that line, whose
    prong and name stay as they are and whose fields left out keep their values."""

    id = serializers.IntegerField(
        required=False, min_value=1, help_text="The line to change; leave out to add a line done at the visit."
    )

    class Meta:
        model = NoteItem
        fields = ["id", "order", "prong", "name", "from_plan", *services.LINE_FIELDS]
        read_only_fields = ["order", "from_plan"]
        extra_kwargs = {"prong": {"required": False}, "name": {"required": False}}

    def validate(self, values: dict) -> dict:
        if "id" not in values:
            missing = {
                name: [f"A new line names its {label}."]
                for name, label in NEW_LINE_NEEDS.items()
                if not values.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return values


@extend_schema_serializer(component_name="VisitNoteAddendum")
class AddendumSerializer(ScopedModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = NoteAddendum
        fields = ["id", "note", "author", "author_name", "created_at", "text"]
        read_only_fields = fields


@extend_schema_serializer(component_name="VisitNoteAddendumAdd")
class AddendumAddSerializer(text_input.Serializer):
    text = serializers.CharField(
        max_length=NoteAddendum._meta.get_field("text").max_length,
        style={"base_template": "textarea.html"},
        help_text="The correction or late entry; the signed note itself stays as it was.",
    )


@extend_schema_serializer(component_name="VisitNote")
class NoteSerializer(ScopedModelSerializer):
    appointment = serializers.IntegerField(source="appointment_id", read_only=True)
    episode = serializers.IntegerField(source="appointment.episode_id", read_only=True)
    author_name = serializers.CharField(source="author.full_name", read_only=True)
    plan = serializers.IntegerField(
        source="plan_version.plan_id",
        read_only=True,
        allow_null=True,
        help_text="The signed plan the lines were pre-filled from (none when the episode had none).",
    )
    plan_version = serializers.IntegerField(source="plan_version.number", read_only=True, allow_null=True)
    state = serializers.SerializerMethodField()
    # Blank until the clinician records it (a read-only field built from the model would drop that).
    response = serializers.ChoiceField(
        choices=TreatmentResponse.choices, allow_blank=True, read_only=True, label="Response to treatment"
    )
    lines = LineSerializer(source="items", many=True, read_only=True)
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = VisitNote
        fields = [
            "id",
            "appointment",
            "episode",
            "author",
            "author_name",
            "plan",
            "plan_version",
            "state",
            "created_at",
            "updated_at",
            "signed_at",
            "signed_by",
            "signed_credentials",
            *NOTE_FIELDS,
            "lines",
            "addenda",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["signed", "draft"]))
    def get_state(self, note: VisitNote) -> str:
        return "signed" if note.is_signed else "draft"


@extend_schema_serializer(component_name="VisitNoteChange")
class NoteChangeSerializer(ScopedModelSerializer):
    """What a PATCH may change on an unsigned note: its sections, and its lines."""

    lines = LineSerializer(many=True, required=False)

    class Meta:
        model = VisitNote
        fields = [*NOTE_FIELDS, "lines"]


@extend_schema_serializer(component_name="VisitNoteOpen")
class NoteOpenSerializer(text_input.Serializer):
    # Another clinic's visit is as unknown as one that does not exist.
    appointment = ScopedPrimaryKeyRelatedField(
        queryset=Appointment.objects.all(), help_text="The visit whose note to open."
    )


class NoteFilter(ScopedFilterSet):
    episode = filters.ModelChoiceFilter(field_name="appointment__episode", queryset=EpisodeOfCare.objects.none())

    class Meta:
        model = VisitNote
        fields = ["appointment", "episode"]


def _line_change(note: VisitNote, index: int, sent: dict) -> tuple[NoteItem | None, rules.LineDraft]:
    """A line as sent: a new line, or one of the note's lines with the fields sent changed."""
    values = dict(sent)
    line_id = values.pop("id", None)
    if line_id is None:
        return None, rules.LineDraft(**values)
    item = next((item for item in note.items.all() if item.pk == line_id), None)
    if item is None:
        raise ValidationError({"lines": {str(index): {"id": ["This note has no such line."]}}})
    changed = {name: values[name] for name in services.LINE_FIELDS if name in values}
    return item, dataclasses.replace(selectors.line_of(item), **changed)


@extend_schema_view(retrieve=etag_read_schema, partial_update=etag_write_schema)
class VisitNoteViewSet(
    AuditedReadsMixin, ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Visit notes of the user's clinic, with their lines and addenda: clinicians only."""

    queryset = VisitNote.objects.none()
    serializer_class = NoteSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["created_at", "updated_at", "signed_at"]
    filterset_class = NoteFilter
    audit_patient = "appointment.episode.patient"
    audit_list = audit.Read.VISIT_NOTE_LISTED
    audit_detail = audit.Read.VISIT_NOTE_VIEWED

    def get_queryset(self):
        return selectors.notes_for_api(self.request.user)

    def _fresh(self, note: VisitNote) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=note.pk)).data

    @extend_schema(
        request=NoteOpenSerializer,
        responses={201: NoteSerializer, 200: NoteSerializer},
        description=(
            "Open the visit's note: made and pre-filled from the episode's signed plan, the last note and "
            "the patient's home-program log (201), or the note it already has (200)."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = NoteOpenSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        appointment = payload.validated_data["appointment"]
        existed = VisitNote.objects.filter(appointment=appointment).exists()
        note = _call(lambda: services.note_open(actor=request.user, appointment=appointment))
        if existed:
            # Nothing was written: answering with the note is a read of it.
            audit.record_read(
                actor=request.user, action=audit.Read.VISIT_NOTE_VIEWED, obj=note, patient=appointment.episode.patient
            )
        return Response(self._fresh(note), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        request=NoteChangeSerializer,
        responses=NoteSerializer,
        description="Change an unsigned note's sections and lines; only its author may, and never once signed.",
    )
    def partial_update(self, request, *args, **kwargs):
        note = self.get_object()
        payload = NoteChangeSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        lines = [_line_change(note, index, line) for index, line in enumerate(values.pop("lines", []))]
        _call(lambda: services.note_save(actor=request.user, note=note, values=values, lines=lines))
        return Response(self._fresh(note))

    @extend_schema(
        request=None,
        responses=NoteSerializer,
        description=(
            "Sign the note as it is saved, by its author: refused, naming each missing element, until it has "
            "what a visit note must. A signed note is read-only; corrections are addenda."
        ),
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        note = self.get_object()
        _call(lambda: services.note_sign(actor=request.user, note=note))
        return Response(self._fresh(note))

    @extend_schema(methods=["GET"], request=None, responses=AddendumSerializer(many=True), filters=False)
    @extend_schema(
        methods=["POST"],
        request=AddendumAddSerializer,
        responses={201: AddendumSerializer},
        filters=False,
        description="Add a correction or late entry to a signed note, with its own author and time.",
    )
    # A note has few addenda: the list is not paginated.
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def addenda(self, request, pk=None):
        note = self.get_object()
        if request.method == "GET":
            return Response(AddendumSerializer(note.addenda.all(), many=True).data)
        payload = AddendumAddSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        text = payload.validated_data["text"]
        addendum = _call(lambda: services.addendum_add(actor=request.user, note=note, text=text))
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)


class NoteStateAccess(BasePermission):
    """Whoever sees the schedule (clinicians and the front desk) reads whether a visit is noted;
    the clinic admin, who sees no visits, does not."""

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_schedule(request.user)


@extend_schema_serializer(component_name="VisitNoteState")
class NoteStateSerializer(text_input.Serializer):
    appointment = serializers.IntegerField(source="pk", read_only=True)
    episode = serializers.IntegerField(source="episode_id", read_only=True)
    note_state = serializers.ChoiceField(choices=selectors.NOTE_STATES, read_only=True, help_text=NOTE_STATE_HELP)


class NoteStateFilter(ScopedFilterSet):
    class Meta:
        model = Appointment
        fields = ["episode"]


class VisitNoteStateViewSet(
    AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Each visit's note state, by the visit's id: signed, draft or none. Nothing of the note's
    content, so the front desk may read it to check a visit out."""

    queryset = Appointment.objects.none()
    serializer_class = NoteStateSerializer
    permission_classes = [NoteStateAccess]
    ordering_fields = ["starts_at"]
    filterset_class = NoteStateFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.VISIT_NOTE_STATES_LISTED
    audit_detail = audit.Read.VISIT_NOTE_STATE_VIEWED

    def get_queryset(self):
        return selectors.visits_with_note_state(self.request.user).order_by("starts_at", "pk")
