"""REST API of plans: the library (read for clinicians, edited by clinic admins in the UI or
Django admin), drafting, editing items, signing and reading versions (clinicians), and the
visit frequency and duration of signed plans (whoever schedules)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from assessments.models import Assessment
from clinic import audit, permissions, text_input
from clinic.drf import (
    AuditedReadsMixin,
    ETagMixin,
    ScopedModelSerializer,
    etag_delete_schema,
    etag_read_schema,
    etag_write_schema,
)
from clinic.drf import call_service as _call
from plans import selectors, services
from plans.models import Intervention, PlanItem, PlanVersion, Prong, TreatmentPlan


class LibraryAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_view_library(request.user)


class InterventionSerializer(ScopedModelSerializer):
    dosage = serializers.CharField(source="dosage_text", read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "key",
            "prong",
            "name",
            "target",
            "technique",
            "tags",
            "home_program",
            "sets",
            "reps",
            "hold_seconds",
            "frequency",
            "dosage",
            "instructions",
            "progression",
            "regression",
            "cautions",
            "source",
            "active",
        ]


class InterventionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = Intervention.objects.none()
    serializer_class = InterventionSerializer
    permission_classes = [LibraryAccess]
    ordering_fields = ["name", "prong", "key"]
    filterset_fields = ["prong", "active", "home_program"]

    def get_queryset(self):
        return permissions.scoped(self.request.user, Intervention).order_by("prong", "name")


class PlanItemSerializer(ScopedModelSerializer):
    dosage = serializers.CharField(source="dosage_text", read_only=True)

    class Meta:
        model = PlanItem
        fields = [
            "id",
            "intervention",
            "prong",
            "name",
            "sets",
            "reps",
            "hold_seconds",
            "frequency",
            "dosage",
            "instructions",
            "side",
            "home_program",
            "order",
            "because",
            "override_contraindication",
            "override_contraindication_reason",
            "override_reason",
        ]
        read_only_fields = [
            "id",
            "intervention",
            "prong",
            "name",
            "dosage",
            "home_program",
            "order",
            "because",
            "override_contraindication",
            "override_contraindication_reason",
            "override_reason",
        ]


@extend_schema_serializer(component_name="PlanExclusion")
class ExclusionSerializer(serializers.Serializer):
    """An item a contraindication keeps out of the draft now (read only: the schema of ``PlanSerializer.excluded``)."""

    intervention = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    prong = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    contraindication = serializers.CharField(read_only=True)
    hard = serializers.BooleanField(read_only=True, help_text="Cannot be overridden.")
    because = serializers.ListField(child=serializers.CharField(), read_only=True)


class PlanSerializer(ScopedModelSerializer):
    items = PlanItemSerializer(many=True, read_only=True)
    # From the episode's red flags as they stand now (a clearance counts at once); signed versions keep theirs.
    referrals = serializers.SerializerMethodField()
    excluded = serializers.SerializerMethodField()
    goals = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    running_advice = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    missing_prong_reasons = serializers.DictField(child=serializers.CharField(max_length=500), required=False)

    def _screen(self, plan: TreatmentPlan) -> selectors.Screen:
        # A page of plans is one clinic's: its library is read once for the page, not once per plan.
        screens = self.context.setdefault("screens", {})
        libraries = self.context.setdefault("libraries", {})
        if plan.pk not in screens:
            clinic = plan.episode.patient.clinic
            if clinic.pk not in libraries:
                libraries[clinic.pk] = selectors.library_for(clinic)
            screens[plan.pk] = selectors.screen(plan, libraries[clinic.pk])
        return screens[plan.pk]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_referrals(self, plan: TreatmentPlan) -> list[str]:
        return list(self._screen(plan).referrals)

    @extend_schema_field(ExclusionSerializer(many=True))
    def get_excluded(self, plan: TreatmentPlan) -> list[dict]:
        return list(self._screen(plan).excluded)

    def validate_missing_prong_reasons(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(Prong.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown prong: {', '.join(unknown)}. Use {', '.join(Prong.values)}.")
        return value

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "episode",
            "assessment",
            "status",
            "visits_per_week",
            "weeks",
            "goals",
            "running_advice",
            "referrals",
            "excluded",
            "clinician_notes",
            "missing_prong_reasons",
            "items",
        ]
        read_only_fields = [
            "id",
            "episode",
            "assessment",
            "status",
            "referrals",
            "excluded",
            "clinician_notes",
            "items",
        ]


@extend_schema_serializer(component_name="PlanVersion")
class VersionSerializer(ScopedModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ["number", "body", "changes", "signed_by", "signed_at"]


@extend_schema_serializer(component_name="PlanDraft")
class DraftSerializer(text_input.Serializer):
    assessment = serializers.IntegerField()


@extend_schema_serializer(component_name="PlanItemAdd")
class AddItemSerializer(text_input.Serializer):
    intervention = serializers.IntegerField()
    override_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_view(retrieve=etag_read_schema, partial_update=etag_write_schema)
class PlanViewSet(
    AuditedReadsMixin, ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = TreatmentPlan.objects.none()
    serializer_class = PlanSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["created_at", "updated_at", "status"]
    filterset_fields = ["episode", "status"]
    audit_patient = "episode.patient"
    audit_list = audit.Read.PLAN_LISTED
    audit_detail = audit.Read.PLAN_VIEWED

    def get_queryset(self):
        return (
            TreatmentPlan.objects.filter(episode__in=permissions.scoped_episodes(self.request.user))
            .select_related("episode__patient")
            .prefetch_related("items")
        )

    @extend_schema(
        request=DraftSerializer,
        responses={201: PlanSerializer},
        description="Draft a plan from a completed assessment's findings.",
    )
    def create(self, request, *args, **kwargs):
        payload = DraftSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assessment = Assessment.objects.filter(
            episode__in=permissions.scoped_episodes(request.user), pk=payload.validated_data["assessment"]
        ).first()
        if assessment is None:
            raise ValidationError({"assessment": ["No such assessment in your clinic."]})
        plan = _call(lambda: services.plan_draft(actor=request.user, assessment=assessment))
        return Response(self.get_serializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanSerializer, responses=PlanSerializer)
    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        serializer = self.get_serializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        _call(lambda: services.plan_update(actor=request.user, plan=plan, **serializer.validated_data))
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(
        request=AddItemSerializer,
        responses={201: PlanItemSerializer},
        description="Add an intervention from the clinic's library to the draft.",
    )
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        plan = self.get_object()
        payload = AddItemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        intervention = (
            permissions.scoped(request.user, Intervention).filter(pk=payload.validated_data["intervention"]).first()
        )
        if intervention is None:
            raise ValidationError({"intervention": ["No such intervention in your clinic's library."]})
        item = _call(
            lambda: services.item_add(
                actor=request.user,
                plan=plan,
                intervention=intervention,
                override_reason=payload.validated_data["override_reason"],
            )
        )
        return Response(PlanItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={201: VersionSerializer},
        description="Sign the draft: it becomes an immutable version, and its handout is made.",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        version = _call(lambda: services.plan_sign(actor=request.user, plan=self.get_object()))
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=VersionSerializer(many=True), filters=False)
    # Every signed version at once: a plan has few, so the list is not paginated.
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, pk=None):
        plan = self.get_object()
        audit.record(actor=request.user, action=audit.Read.PLAN_VERSIONS_VIEWED, obj=plan)
        return Response(VersionSerializer(plan.versions.all(), many=True).data)


@extend_schema_view(
    retrieve=etag_read_schema,
    update=etag_write_schema,
    partial_update=etag_write_schema,
    destroy=etag_delete_schema,
)
class PlanItemViewSet(
    AuditedReadsMixin,
    ETagMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Read an item (with its ETag), change its dosage or instructions, or remove it from the draft."""

    queryset = PlanItem.objects.none()
    serializer_class = PlanItemSerializer
    permission_classes = [permissions.ClinicalAccess]
    audit_patient = "plan.episode.patient"
    audit_detail = audit.Read.PLAN_ITEM_VIEWED

    def get_queryset(self):
        return PlanItem.objects.filter(plan__episode__in=permissions.scoped_episodes(self.request.user)).select_related(
            "plan__episode__patient"
        )

    def perform_update(self, serializer):
        _call(
            lambda: services.item_update(actor=self.request.user, item=serializer.instance, **serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.item_remove(actor=self.request.user, item=instance)


class VisitPlanAccess(BasePermission):
    """Whoever schedules (clinicians and the front desk) reads a signed plan's visit frequency
    and duration, as the episode page shows it to them; nothing clinical comes with it."""

    def has_permission(self, request, view) -> bool:
        return permissions.can_read_visit_plans(request.user)


@extend_schema_serializer(component_name="PlanVisits")
class PlanVisitsSerializer(text_input.Serializer):
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    episode = serializers.IntegerField(source="plan.episode_id", read_only=True)
    version = serializers.IntegerField(source="number", read_only=True)
    visits_per_week = serializers.IntegerField(source="signed.visits_per_week", read_only=True)
    weeks = serializers.IntegerField(source="signed.weeks", read_only=True)
    signed_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, plan: TreatmentPlan) -> dict:
        # From the latest signed version: what the patient was given, not an unsigned edit.
        return super().to_representation(plan.versions.all()[0])


class PlanVisitsViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Signed plans' visits per week and weeks, from their latest signed version, for booking
    a plan's series of visits; the id is the plan's."""

    queryset = TreatmentPlan.objects.none()
    serializer_class = PlanVisitsSerializer
    permission_classes = [VisitPlanAccess]
    ordering_fields = ["created_at"]
    filterset_fields = ["episode"]
    audit_patient = "episode.patient"
    audit_list = audit.Read.PLAN_VISITS_LISTED
    audit_detail = audit.Read.PLAN_VISITS_VIEWED

    def get_queryset(self):
        return (
            TreatmentPlan.objects.filter(
                episode__in=permissions.scoped_episodes(self.request.user), versions__isnull=False
            )
            .distinct()
            .select_related("episode__patient")
            .prefetch_related(Prefetch("versions", queryset=PlanVersion.objects.order_by("-number")))
            .order_by("created_at", "pk")
        )
