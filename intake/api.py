"""REST API of the intake: invitations for staff who schedule, submitted intakes for clinicians."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import AuditedReadsMixin, ScopedModelSerializer
from clinic.drf import call_service as _call
from clinic.models import ContactChannel
from intake import selectors, services
from intake.models import Intake, IntakeInvitation, IntakeStatus, QuestionnaireScore, RedFlag, ReviewNote


class InvitationAccess(BasePermission):
    """Whoever may change an episode sends, re-sends and revokes its intake links and sees
    their status; a clinic admin, who only views episodes, has no part in them (README's
    roles table)."""

    def has_permission(self, request, view) -> bool:
        return permissions.can_send_intake_links(request.user)

    def has_object_permission(self, request, view, obj: IntakeInvitation) -> bool:
        return permissions.can_change_episode(request.user, obj.intake.episode)


@extend_schema_serializer(component_name="IntakeInvitation")
class InvitationSerializer(ScopedModelSerializer):
    episode = serializers.IntegerField(source="intake.episode_id", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = IntakeInvitation
        fields = [
            "id",
            "episode",
            "channel",
            "status",
            "created_at",
            "expires_at",
            "sent_at",
            "opened_at",
            "revoked_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": [status.value for status in selectors.DeskStatus]})
    def get_status(self, invitation: IntakeInvitation) -> str:
        latest = invitation.intake.invitations.first()
        if latest is not None and latest.pk != invitation.pk:
            return selectors.DeskStatus.REVOKED.value
        return selectors.desk_status(invitation.intake, invitation).value


@extend_schema_serializer(component_name="IntakeInvitationCreate")
class InvitationCreateSerializer(text_input.Serializer):
    episode = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False)


class InvitationViewSet(
    AuditedReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = IntakeInvitation.objects.none()
    serializer_class = InvitationSerializer
    permission_classes = [InvitationAccess]
    ordering_fields = ["created_at", "sent_at", "expires_at"]
    filterset_fields = ["intake__episode"]
    audit_patient = "intake.episode.patient"
    audit_list = audit.Read.INVITATION_LISTED
    audit_detail = audit.Read.INVITATION_VIEWED

    def get_queryset(self):
        return IntakeInvitation.objects.filter(
            intake__episode__in=permissions.scoped_episodes(self.request.user)
        ).select_related("intake__episode__patient")

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        description="Send the patient an intake link; the channel defaults to the patient's preferred one.",
    )
    def create(self, request, *args, **kwargs):
        payload = InvitationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        episode = permissions.scoped_episodes(request.user).filter(pk=payload.validated_data["episode"]).first()
        if episode is None:
            raise ValidationError({"episode": ["No such episode in your clinic."]})
        if not permissions.can_change_episode(request.user, episode):
            self.permission_denied(request)
        invitation = _call(
            lambda: services.invitation_send(
                actor=request.user, episode=episode, channel=payload.validated_data.get("channel")
            )
        )
        return Response(self.get_serializer(invitation).data, status=201)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = services.invitation_revoke(actor=request.user, invitation=self.get_object())
        return Response(self.get_serializer(invitation).data)

    @extend_schema(
        request=None,
        responses={201: InvitationSerializer},
        description="Send a new link by the same channel; the previous link stops working.",
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        previous = self.get_object()
        invitation = _call(
            lambda: services.invitation_send(
                actor=request.user, episode=previous.intake.episode, channel=previous.channel
            )
        )
        return Response(self.get_serializer(invitation).data, status=201)


@extend_schema_serializer(component_name="QuestionnaireScore")
class ScoreSerializer(ScopedModelSerializer):
    class Meta:
        model = QuestionnaireScore
        fields = [
            "instrument",
            "version",
            "value",
            "display",
            "band",
            "items_answered",
            "items_total",
            "complete",
            "scored",
            "answers",
            "detail",
        ]


class RedFlagSerializer(ScopedModelSerializer):
    class Meta:
        model = RedFlag
        fields = ["id", "code", "tier", "label", "raised_at", "cleared_at", "cleared_by", "clearance_note"]


@extend_schema_serializer(component_name="ReviewNote")
class NoteSerializer(ScopedModelSerializer):
    class Meta:
        model = ReviewNote
        fields = ["id", "author", "text", "created_at"]


class IntakeSerializer(ScopedModelSerializer):
    scores = ScoreSerializer(many=True, read_only=True)
    red_flags = RedFlagSerializer(many=True, read_only=True)
    review_notes = NoteSerializer(many=True, read_only=True)

    class Meta:
        model = Intake
        fields = [
            "id",
            "episode",
            "status",
            "submitted_at",
            "consent_name",
            "consent_relationship",
            "consent_signed_at",
            "answers",
            "load_facts",
            "scores",
            "red_flags",
            "review_notes",
        ]


class IntakeViewSet(AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Submitted intakes with their scores: clinicians only."""

    queryset = Intake.objects.none()
    serializer_class = IntakeSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["submitted_at"]
    filterset_fields = ["episode"]
    # Intakes carry whole answers: every one listed or read is a read of a clinical record.
    audit_patient = "episode.patient"
    audit_list = audit.Read.INTAKE_LISTED
    audit_detail = audit.Read.INTAKE_VIEWED

    def get_queryset(self):
        return (
            Intake.objects.filter(
                episode__in=permissions.scoped_episodes(self.request.user), status=IntakeStatus.SUBMITTED
            )
            .select_related("episode__patient")
            .prefetch_related("scores", "red_flags", "review_notes")
            .order_by("-submitted_at")
        )
