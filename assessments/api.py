"""REST API of the assessments, clinicians only. The exam payload uses the assessment
form's field names and is validated by that same form, which gives the service the same typed
exam and visit as the screen, so API and screen cannot differ."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessments import finding_order, findings, selectors, services
from assessments.forms import AssessmentForm, StartAssessmentForm, initial_from
from assessments.models import Assessment, Finding
from clinic import audit, permissions, text_input
from clinic.drf import (
    AuditedReadsMixin,
    ETagMixin,
    ScopedModelSerializer,
    etag_read_schema,
    etag_write_schema,
    form_data,
    form_errors,
    form_schema,
    json_object,
)
from clinic.drf import call_service as _call

# The exam payload is documented from the form that validates it.
_EXAM_READ = {
    **form_schema(AssessmentForm(), read=True),
    "additionalProperties": {
        "description": "A detail that only some special tests have (the straight-leg raise's angle and leg "
        "symptoms, FABER's pain location), listed for every special test recorded: null, false or empty where "
        "the test has no such detail."
    },
}
_EXAM_CHANGE = form_schema(AssessmentForm(), partial=True)
_START = form_schema(
    StartAssessmentForm(), outside_form={"episode": {"type": "integer", "description": "The episode of care."}}
)


def _valid(form) -> dict:
    if not form.is_valid():
        raise form_errors(form)
    return form.cleaned_data


class FindingSerializer(ScopedModelSerializer):
    tier = serializers.SerializerMethodField(
        help_text="Clinical weight: red_flag, condition, impairment or screening_cue (lists come in this order)."
    )
    group = serializers.SerializerMethodField(
        help_text="The test or measure the finding comes from; findings sharing it are facets of one test. "
        "A finding in the clinician's own words is its own group."
    )
    read_by_rules = serializers.BooleanField(
        read_only=True, help_text="Whether the plan rules read it: false for a finding in the clinician's own words."
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "assessment",
            "code",
            "side",
            "label",
            "evidence",
            "origin",
            "reason",
            "read_by_rules",
            "dismissed_at",
            "dismiss_reason",
            "tier",
            "group",
        ]
        read_only_fields = fields

    def get_tier(self, finding: Finding) -> str:
        place = finding_order.place_of(finding.code)
        return place.tier if place else finding_order.FREE_TEXT_TIER

    def get_group(self, finding: Finding) -> str:
        place = finding_order.place_of(finding.code)
        return place.group if place else finding.code


class AssessmentSerializer(ScopedModelSerializer):
    measurements = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "episode",
            "kind",
            "status",
            "assessed_on",
            "clinician",
            "completed_at",
            "measurements",
            "findings",
        ]
        read_only_fields = fields

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, assessment: Assessment) -> list:
        """Active findings in reading order (finding_order), then the dismissed ones."""
        rows = finding_order.ordered(assessment.findings.all())
        rows.sort(key=lambda finding: finding.dismissed_at is not None)
        return FindingSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(_EXAM_READ)
    def get_measurements(self, assessment: Assessment) -> dict:
        return {
            name: (str(value) if value is not None and not isinstance(value, bool | int | str) else value)
            for name, value in initial_from(assessment).items()
        }


@extend_schema_view(retrieve=etag_read_schema, partial_update=etag_write_schema)
class AssessmentViewSet(
    AuditedReadsMixin, ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = Assessment.objects.none()
    serializer_class = AssessmentSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["assessed_on", "completed_at"]
    filterset_fields = ["episode", "status"]
    audit_patient = "episode.patient"
    audit_list = audit.Read.ASSESSMENT_LISTED
    audit_detail = audit.Read.ASSESSMENT_VIEWED

    def get_queryset(self):
        return (
            Assessment.objects.filter(episode__in=permissions.scoped_episodes(self.request.user))
            .select_related("episode__patient")
            .prefetch_related("rom", "fms", "special_tests", "findings")
            .order_by("assessed_on", "id")
        )

    @extend_schema(
        request={"application/json": _START},
        responses={201: AssessmentSerializer},
        description="Start a draft initial evaluation or re-assessment of an episode.",
    )
    def create(self, request, *args, **kwargs):
        body = json_object(request.data)
        episode_id = body.get("episode")
        if isinstance(episode_id, str) and episode_id.isdecimal():
            episode_id = int(episode_id)
        if not isinstance(episode_id, int) or isinstance(episode_id, bool):
            raise ValidationError({"episode": ["Give the id of an episode of care."]})
        episode = permissions.scoped_episodes(request.user).filter(pk=episode_id).first()
        if episode is None:
            raise ValidationError({"episode": ["No such episode in your clinic."]})
        data = _valid(StartAssessmentForm(form_data(body, StartAssessmentForm())))
        assessment = _call(lambda: services.assessment_start(actor=request.user, episode=episode, **data))
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"application/json": _EXAM_CHANGE}, responses=AssessmentSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change a draft: fields not sent keep their saved values."""
        assessment = self.get_object()
        merged = {**initial_from(assessment), **form_data(request.data, AssessmentForm())}
        form = AssessmentForm(merged)
        _valid(form)
        _call(
            lambda: services.assessment_save(
                actor=request.user, assessment=assessment, visit=form.visit(), exam=form.exam()
            )
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)

    @extend_schema(
        request=None,
        responses=AssessmentSerializer,
        description="Complete the assessment and derive its findings.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        assessment = self.get_object()
        _call(lambda: services.assessment_complete(actor=request.user, assessment=assessment))
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)


@extend_schema_serializer(component_name="FindingDismiss")
class DismissSerializer(text_input.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema_serializer(component_name="FindingAdd")
class AddFindingSerializer(text_input.Serializer):
    assessment = serializers.IntegerField()
    condition = serializers.ChoiceField(
        choices=["", *findings.CLINICIAN_CONDITION_LABELS],
        required=False,
        default="",
        help_text="A condition the plan rules read as they read derived findings; give this or label.",
    )
    label = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="A finding in the clinician's own words, not read by the plan rules; give this or condition.",
    )
    side = serializers.ChoiceField(choices=["", "left", "right"], required=False, default="")
    reason = serializers.CharField(max_length=2000)


class FindingViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Findings are clinical content: every one read through the API is audited."""

    queryset = Finding.objects.none()
    serializer_class = FindingSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["assessment", "code", "side"]
    filterset_fields = ["assessment"]
    audit_patient = "assessment.episode.patient"
    audit_list = audit.Read.FINDING_LISTED
    audit_detail = audit.Read.FINDING_VIEWED

    def get_queryset(self):
        # Without ?ordering=, each assessment's findings come in reading order (finding_order).
        return selectors.in_reading_order(
            Finding.objects.filter(assessment__episode__in=permissions.scoped_episodes(self.request.user))
        ).select_related("assessment__episode__patient")

    @extend_schema(
        request=AddFindingSerializer,
        responses={201: FindingSerializer},
        description="Add a finding of the clinician's own to an assessment.",
    )
    def create(self, request, *args, **kwargs):
        payload = AddFindingSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        assessment = (
            Assessment.objects.filter(episode__in=permissions.scoped_episodes(request.user))
            .filter(pk=data.pop("assessment"))
            .first()
        )
        if assessment is None:
            raise ValidationError({"assessment": ["No such assessment in your clinic."]})
        finding = _call(lambda: services.finding_add(actor=request.user, assessment=assessment, **data))
        return Response(self.get_serializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DismissSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        payload = DismissSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        finding = _call(
            lambda: services.finding_dismiss(
                actor=request.user, finding=self.get_object(), reason=payload.validated_data["reason"]
            )
        )
        return Response(self.get_serializer(finding).data)
