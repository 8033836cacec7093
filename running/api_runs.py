"""REST API of the run log: the runs of the user's clinic (clinicians only), read, and a run
logged by hand on the runner's behalf. The write is ``running.services.runs.log_run``; the
serializers only check the shape of what is sent. Reads are audited, as every clinical read."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import AuditedReadsMixin, ScopedFilterSet, ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from clinic.drf import call_service as _call
from clinic.models import EpisodeOfCare
from running import run_rules, run_selectors
from running.models import Run
from running.services import runs as services

PAIN_HELP = "0 is no pain, 10 the worst imaginable (numeric rating scale)."


@extend_schema_serializer(component_name="Run")
class RunSerializer(ScopedModelSerializer):
    episode = serializers.IntegerField(source="episode_id", read_only=True)
    return_to_run = serializers.IntegerField(source="return_to_run_id", read_only=True, allow_null=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "episode",
            "return_to_run",
            "phase",
            "protocol_planned",
            "source",
            "started_at",
            "local_date",
            "distance_m",
            "moving_s",
            "elapsed_s",
            "indoor",
            "step_rate",
            "pain_before",
            "pain_during",
            "rpe",
            "swelling_or_stiffness",
            "note",
            "morning_pain",
            "morning_pain_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="RunLog")
class RunLogSerializer(text_input.Serializer):
    """A run logged by hand on the runner's behalf."""

    episode = ScopedPrimaryKeyRelatedField(queryset=EpisodeOfCare.objects.all(), help_text="The runner's episode.")
    local_date = serializers.DateField(help_text="The runner's own local date of the run.")
    start_time = serializers.TimeField(required=False, allow_null=True, help_text="Local start time, if known.")
    distance_km = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=run_rules.MAX_DISTANCE_KM
    )
    moving_s = serializers.IntegerField(
        min_value=1, max_value=run_rules.MAX_DURATION_S, help_text="Moving time in seconds."
    )
    pain_before = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, required=False, help_text=PAIN_HELP
    )
    pain_during = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, required=False, help_text=PAIN_HELP
    )
    rpe = serializers.IntegerField(min_value=0, max_value=10, allow_null=True, required=False)
    swelling_or_stiffness = serializers.BooleanField(allow_null=True, required=False, default=None)
    note = serializers.CharField(
        max_length=Run._meta.get_field("note").max_length,
        allow_blank=True,
        required=False,
        default="",
        style={"base_template": "textarea.html"},
    )


class RunFilter(ScopedFilterSet):
    class Meta:
        model = Run
        fields = ["episode", "return_to_run", "local_date"]


class RunAccess(permissions.ClinicalAccess):
    """Clinicians of the run's clinic; a run's patient is its episode's."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return permissions.can_view_clinical(request.user, obj.episode.patient)
        return permissions.can_change_clinical(request.user, obj.episode.patient)


class RunViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the user's clinic, newest first: clinicians only."""

    queryset = Run.objects.none()
    serializer_class = RunSerializer
    permission_classes = [RunAccess]
    ordering_fields = ["local_date", "started_at", "created_at"]
    filterset_class = RunFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.RUN_LISTED
    audit_detail = audit.Read.RUN_VIEWED

    def get_queryset(self):
        return run_selectors.runs_for_api(self.request.user)

    @extend_schema(
        request=RunLogSerializer,
        responses={201: RunSerializer},
        description=(
            "Log a run by hand on the runner's behalf: the day is the runner's local date (not in the future, "
            "not before the episode opened); in an active return-to-run plan it takes the current phase."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = RunLogSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        episode = data["episode"]
        if not permissions.can_change_clinical(request.user, episode.patient):
            self.permission_denied(request)
        run = _call(
            lambda: services.log_run(
                episode=episode,
                local_date=data["local_date"],
                start_time=data.get("start_time"),
                distance_m=run_rules.km_to_m(data["distance_km"]),
                moving_s=data["moving_s"],
                feel=services.Feel(
                    pain_before=data.get("pain_before"),
                    pain_during=data.get("pain_during"),
                    rpe=data.get("rpe"),
                    swelling_or_stiffness=data.get("swelling_or_stiffness"),
                    note=data.get("note", "").strip(),
                ),
                actor=request.user,
            )
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data, status=status.HTTP_201_CREATED)
