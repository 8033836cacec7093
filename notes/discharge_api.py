"""REST API of discharges: read a clinic's discharges and discharge an open episode (clinicians of
its clinic). The write is ``notes.discharge.discharge_episode``; the serializers check the shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from clinic import audit, permissions
from clinic.drf import AuditedReadsMixin, ScopedFilterSet, ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from clinic.drf import call_service as _call
from clinic.models import EpisodeOfCare
from notes import discharge as services
from notes.models import Discharge, DischargeDocument, FollowUp, FollowUpScore


@extend_schema_serializer(component_name="DischargeDocument")
class DocumentSerializer(ScopedModelSerializer):
    class Meta:
        model = DischargeDocument
        fields = ["id", "kind", "status"]
        read_only_fields = fields


@extend_schema_serializer(component_name="FollowUpScore")
class FollowUpScoreSerializer(ScopedModelSerializer):
    class Meta:
        model = FollowUpScore
        fields = ["instrument", "version", "value", "display", "scored", "complete", "band"]
        read_only_fields = fields


@extend_schema_serializer(component_name="FollowUp")
class FollowUpSerializer(ScopedModelSerializer):
    scores = FollowUpScoreSerializer(many=True, read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "kind", "due_on", "sent_at", "answered_at", "scores"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Discharge")
class DischargeSerializer(ScopedModelSerializer):
    documents = DocumentSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(source="episode.follow_ups", many=True, read_only=True)

    class Meta:
        model = Discharge
        fields = [
            "id",
            "episode",
            "reason",
            "reason_text",
            "discharged_by",
            "discharged_at",
            "discharged_on",
            "what_improved",
            "home_program",
            "when_to_come_back",
            "referrer_name",
            "referrer_address",
            "letter_wanted",
            "documents",
            "follow_ups",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="DischargeCreate")
class DischargeCreateSerializer(ScopedModelSerializer):
    # Another clinic's episode is as unknown as one that does not exist.
    episode = ScopedPrimaryKeyRelatedField(queryset=EpisodeOfCare.objects.all(), help_text="The open episode.")
    discharged_on = serializers.DateField(required=False, help_text="Today when left out.")
    send_final_measures = serializers.BooleanField(
        default=False, help_text="Send the patient the episode's questionnaires by link now."
    )
    follow_up_consent = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whether the patient agrees to follow-up questionnaires; left out keeps what was recorded.",
    )

    class Meta:
        model = Discharge
        fields = [
            "episode",
            "reason",
            "reason_text",
            "discharged_on",
            "what_improved",
            "home_program",
            "when_to_come_back",
            "referrer_name",
            "referrer_address",
            "letter_wanted",
            "send_final_measures",
            "follow_up_consent",
        ]


class DischargeFilter(ScopedFilterSet):
    class Meta:
        model = Discharge
        fields = ["episode", "reason"]


class DischargeViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Discharges of the user's clinic, with their PDFs' state and the follow-up answers: clinicians only."""

    queryset = Discharge.objects.none()
    serializer_class = DischargeSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["discharged_at", "discharged_on"]
    filterset_class = DischargeFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.DISCHARGE_LISTED
    audit_detail = audit.Read.DISCHARGE_VIEWED

    def get_queryset(self):
        return (
            permissions.scoped(self.request.user, Discharge)
            .select_related("episode__patient")
            .prefetch_related("documents", "episode__follow_ups__scores")
            .order_by("-discharged_at", "-pk")
        )

    @extend_schema(
        request=DischargeCreateSerializer,
        responses={201: DischargeSerializer},
        description=(
            "Discharge an open episode: closes it, queues the patient's summary PDF (and the referrer's letter), "
            "and sends or schedules the outcome questionnaires by link."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = DischargeCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        episode = values.pop("episode")
        discharge = _call(lambda: services.discharge_episode(actor=request.user, episode=episode, **values))
        return Response(
            self.get_serializer(self.get_queryset().get(pk=discharge.pk)).data, status=status.HTTP_201_CREATED
        )
