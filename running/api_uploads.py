"""REST API of runners' device files: read their metadata and what became of them, upload one
on a runner's behalf (multipart), and decide on a probable duplicate. Clinicians of the file's
clinic only; the file's bytes are never served here. Every write is a service of
``running.services.uploads``; the serializers only check the shape of what is sent."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import AuditedReadsMixin, ScopedFilterSet, ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from clinic.drf import call_service as _call
from clinic.models import EpisodeOfCare
from running.models import DuplicateDecision, RunFile, RunFileStatus
from running.services import uploads

STATUS_HELP = (
    "queued or parsing: being read; parsed: the run was added (see run); failed: see error; needs_distance: the "
    "file has no distance, the runner is asked for it; probable_duplicate: possibly a run already logged "
    "(duplicate_of), waiting for a clinician's decision; duplicate: decided to be the same run, not added."
)


@extend_schema_serializer(component_name="RunFile")
class RunFileSerializer(ScopedModelSerializer):
    status = serializers.ChoiceField(choices=RunFileStatus.choices, read_only=True, help_text=STATUS_HELP)
    decision = serializers.ChoiceField(choices=DuplicateDecision.choices, allow_blank=True, read_only=True)
    metrics = serializers.JSONField(
        read_only=True,
        help_text="What the file counts as: started_at (UTC), local_date, distance_m, distance_source, moving_s, "
        "elapsed_s, indoor, step_rate (steps/min), local_offset_s.",
    )

    class Meta:
        model = RunFile
        fields = [
            "id",
            "episode",
            "uploaded_at",
            "uploaded_by",
            "original_name",
            "kind",
            "size",
            "sha256",
            "status",
            "error",
            "metrics",
            "run",
            "duplicate_of",
            "decision",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="RunFileUpload")
class RunFileUploadSerializer(text_input.Serializer):
    # Another clinic's episode is as unknown as one that does not exist.
    episode = ScopedPrimaryKeyRelatedField(queryset=EpisodeOfCare.objects.all(), help_text="The runner's episode.")
    file = serializers.FileField(help_text="The FIT, TCX or GPX file, as the runner's watch app exported it.")

    def validate_file(self, value):
        try:
            uploads.check_file(value)
        except DjangoValidationError as refused:
            raise serializers.ValidationError(refused.messages) from refused
        return value


@extend_schema_serializer(component_name="RunFileDecision")
class DecisionSerializer(text_input.Serializer):
    decision = serializers.ChoiceField(
        choices=DuplicateDecision.choices,
        help_text="same: the new file is the same run and is not added; different: its run is added too.",
    )


class RunFileFilter(ScopedFilterSet):
    status = filters.ChoiceFilter(choices=RunFileStatus.choices)

    class Meta:
        model = RunFile
        fields = ["episode", "status"]


class RunFileViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runners' device files of the user's clinic: clinicians only."""

    queryset = RunFile.objects.none()
    serializer_class = RunFileSerializer
    permission_classes = [permissions.ClinicalAccess]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    ordering_fields = ["uploaded_at"]
    filterset_class = RunFileFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.RUN_FILE_LISTED
    audit_detail = audit.Read.RUN_FILE_VIEWED

    def get_queryset(self):
        return (
            permissions.scoped(self.request.user, RunFile)
            .select_related("episode__patient")
            .order_by("-uploaded_at", "-id")
        )

    @extend_schema(
        request={"multipart/form-data": RunFileUploadSerializer},
        responses={201: RunFileSerializer},
        description=(
            "Upload a runner's device file on their behalf. It is read in the background: the answer is the "
            "queued file; read it again for what became of it. The exact same file twice for a patient is refused."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = RunFileUploadSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        episode = payload.validated_data["episode"]
        if not permissions.can_change_clinical(request.user, episode.patient):
            raise ValidationError({"episode": ["You may not add runs to this episode."]})
        try:
            row = uploads.receive_file(episode, payload.validated_data["file"], actor=request.user)
        except DjangoValidationError as refused:
            field = "episode" if refused.code == "episode" else "file"
            raise ValidationError({field: refused.messages}) from refused
        return Response(RunFileSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionSerializer,
        responses=RunFileSerializer,
        description="Decide on a probable duplicate: the same run (not added) or different runs (both kept).",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        row = self.get_object()
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decision = payload.validated_data["decision"]
        row = _call(lambda: uploads.decide_duplicate(actor=request.user, run_file=row, decision=decision))
        return Response(RunFileSerializer(row).data)
