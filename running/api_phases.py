"""REST API of the walk-run phases: each runner's return-to-run plan with its open proposal (clinicians of the
clinic, every read audited), the clinician's confirmation or override, and the walk-run programs a plan may use.
Every write is a service of ``running.services.phases``; the serializers only check the shape of what is sent."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import AuditedReadsMixin, ScopedFilterSet, ScopedModelSerializer
from clinic.drf import call_service as _call
from plans.models import RunProgramTemplate
from running.models import DecisionStatus, PhaseDecision, PhaseStep, ReturnToRun
from running.progression import RULE_HELP
from running.services import phases


class ReturnToRunAccess(permissions.ClinicalAccess):
    """Clinicians of the runner's clinic; a plan's patient is its episode's."""

    def has_object_permission(self, request, view, obj) -> bool:
        return super().has_object_permission(request, view, _Patient(obj.episode.patient))


class _Patient:
    """What ``ClinicalAccess`` reads of an object: its ``patient``."""

    def __init__(self, patient) -> None:
        self.patient = patient


@extend_schema_serializer(component_name="PhaseDecision")
class DecisionSerializer(ScopedModelSerializer):
    decided_by_name = serializers.CharField(source="decided_by.full_name", read_only=True, allow_null=True)
    # Blank until a clinician overrides (a read-only field built from the model would drop the blank).
    decided_step = serializers.ChoiceField(
        choices=PhaseStep.choices,
        allow_blank=True,
        read_only=True,
        help_text="The clinician's own step, if overridden.",
    )
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PhaseDecision
        fields = [
            "id",
            "run",
            "proposed_step",
            "reasons",
            "from_phase",
            "to_phase",
            "status",
            "decided_step",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "override_reason",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="ReturnToRunProgramRef")
class ProgramRefSerializer(text_input.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="ReturnToRunPlan")
class ReturnToRunSerializer(ScopedModelSerializer):
    plan = serializers.IntegerField(source="plan_version.plan_id", read_only=True)
    plan_version = serializers.IntegerField(source="plan_version.number", read_only=True)
    program = serializers.SerializerMethodField()
    phase_count = serializers.SerializerMethodField()
    proposal = serializers.SerializerMethodField(help_text=RULE_HELP)

    class Meta:
        model = ReturnToRun
        fields = [
            "id",
            "episode",
            "plan",
            "plan_version",
            "program",
            "phases",
            "phase_count",
            "current_phase",
            "status",
            "started_on",
            "ended_on",
            "proposal",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgramRefSerializer)
    def get_program(self, plan: ReturnToRun) -> dict:
        signed = plan.plan_version.body.get("return_to_run") or {}
        return {"key": signed.get("key", ""), "name": signed.get("name", ""), "version": signed.get("version")}

    @extend_schema_field(serializers.IntegerField())
    def get_phase_count(self, plan: ReturnToRun) -> int:
        return len(plan.phases)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_proposal(self, plan: ReturnToRun) -> dict | None:
        pending = getattr(plan, "open_proposals", None)
        if pending is None:
            pending = list(plan.decisions.filter(status=DecisionStatus.PROPOSED))
        return DecisionSerializer(pending[0]).data if pending else None


@extend_schema_serializer(component_name="ReturnToRunOverride")
class OverrideSerializer(text_input.Serializer):
    step = serializers.ChoiceField(choices=PhaseStep.choices)
    reason = serializers.CharField(
        max_length=phases.OVERRIDE_REASON_MAX,
        style={"base_template": "textarea.html"},
        help_text="Why the clinician decides otherwise than the proposal.",
    )


class ReturnToRunFilter(ScopedFilterSet):
    class Meta:
        model = ReturnToRun
        fields = ["episode", "status"]


class ReturnToRunViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Return-to-run plans of the user's clinic, with the pain rule's open proposal: clinicians only."""

    queryset = ReturnToRun.objects.none()
    serializer_class = ReturnToRunSerializer
    permission_classes = [ReturnToRunAccess]
    ordering_fields = ["started_on", "id"]
    filterset_class = ReturnToRunFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.RETURN_TO_RUN_LISTED
    audit_detail = audit.Read.RETURN_TO_RUN_VIEWED

    def get_queryset(self):
        return (
            permissions.scoped(self.request.user, ReturnToRun)
            .select_related("episode__patient", "plan_version")
            .prefetch_related(
                Prefetch(
                    "decisions",
                    queryset=PhaseDecision.objects.filter(status=DecisionStatus.PROPOSED),
                    to_attr="open_proposals",
                )
            )
            .order_by("-started_on", "-id")
        )

    def _fresh(self, plan: ReturnToRun) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=plan.pk)).data

    @extend_schema(
        request=None,
        responses=ReturnToRunSerializer,
        description="Confirm the open proposal as it stands: the runner moves as proposed (400 when none waits).",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        plan = self.get_object()
        pending = plan.decisions.filter(status=DecisionStatus.PROPOSED).first()
        if pending is None:
            raise ValidationError({"proposal": ["No proposal waits for a decision."]})
        _call(lambda: phases.confirm(actor=request.user, decision=pending))
        return Response(self._fresh(plan))

    @extend_schema(
        request=OverrideSerializer,
        responses=ReturnToRunSerializer,
        description="Decide otherwise than the open proposal (or without one), with a reason.",
    )
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        plan = self.get_object()
        payload = OverrideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        _call(lambda: phases.override(actor=request.user, plan=plan, step=values["step"], reason=values["reason"]))
        return Response(self._fresh(plan))


class ProgramAccess(BasePermission):
    """Whoever reads the clinic's treatment library reads its walk-run programs (no patient data)."""

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_library(request.user)


@extend_schema_serializer(component_name="RunProgramTemplate")
class ProgramSerializer(ScopedModelSerializer):
    shipped = serializers.SerializerMethodField()

    class Meta:
        model = RunProgramTemplate
        fields = ["id", "key", "name", "version", "shipped", "phases", "rules", "source", "low_quality", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_shipped(self, program: RunProgramTemplate) -> bool:
        return program.clinic_id is None


class RunProgramTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every version of the walk-run programs the clinic may use: the shipped ones and its own edits."""

    queryset = RunProgramTemplate.objects.none()
    serializer_class = ProgramSerializer
    permission_classes = [ProgramAccess]
    ordering_fields = ["key", "version", "id"]
    filterset_fields = ["key"]

    def get_queryset(self):
        return RunProgramTemplate.objects.filter(Q(clinic=None) | Q(clinic_id=self.request.user.clinic_id)).order_by(
            "key", "-version", "id"
        )
