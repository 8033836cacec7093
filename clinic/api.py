"""REST API of the clinic core. Same services, same permission rules as the HTML views.

Search takes its query in a POST body so patient names never appear in URLs or logs.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clinic import api_tokens, audit, permissions, selectors, services, text_input
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
from clinic.models import ApiToken, EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.services import PATIENT_FIELDS


class PatientSerializer(ScopedModelSerializer):
    mobile_phone = PhoneNumberField(required=False, allow_blank=True)

    class Meta:
        model = Patient
        fields = ["id", *PATIENT_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class PatientSearchSerializer(text_input.Serializer):
    q = serializers.CharField(max_length=100, allow_blank=True)


class NoDeleteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Records are discharged or corrected, never deleted, so there is no DELETE."""


@extend_schema_view(retrieve=etag_read_schema, update=etag_write_schema, partial_update=etag_write_schema)
class PatientViewSet(AuditedReadsMixin, ETagMixin, NoDeleteViewSet):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = Patient.objects.none()
    serializer_class = PatientSerializer
    permission_classes = [permissions.PatientAccess]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "updated_at"]
    audit_detail = audit.Read.PATIENT_VIEWED

    @property
    def audit_list(self) -> audit.Read:
        return audit.Read.PATIENT_SEARCHED if self.action == "search" else audit.Read.PATIENT_LISTED

    def get_queryset(self):
        return permissions.scoped_patients(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = _call(
            lambda: services.patient_create(actor=self.request.user, **serializer.validated_data)
        )

    def perform_update(self, serializer):
        _call(
            lambda: services.patient_update(
                actor=self.request.user, patient=serializer.instance, **serializer.validated_data
            )
        )

    @extend_schema(
        request=PatientSearchSerializer,
        responses=PatientSerializer(many=True),
        filters=False,
        description="Find patients by name, birth date or phone; the query travels in the body, never the URL.",
    )
    @action(detail=False, methods=["post"])
    def search(self, request):
        query = PatientSearchSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        patients = selectors.patient_search(user=request.user, query=query.validated_data["q"])
        page = self.paginate_queryset(patients)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class EpisodeSerializer(ScopedModelSerializer):
    # Scoped: an id of another clinic's patient or staff is "not found", like one that does not exist.
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    lead_clinician = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, groups__name=permissions.Role.CLINICIAN.value)
    )

    class Meta:
        model = EpisodeOfCare
        fields = ["id", "patient", "presenting_complaint", "status", "lead_clinician", "opened_on", "closed_on"]
        read_only_fields = ["id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["patient"].read_only = True


class EpisodeFilter(ScopedFilterSet):
    class Meta:
        model = EpisodeOfCare
        fields = ["patient", "status", "lead_clinician"]


@extend_schema_view(retrieve=etag_read_schema, update=etag_write_schema, partial_update=etag_write_schema)
class EpisodeViewSet(AuditedReadsMixin, ETagMixin, NoDeleteViewSet):
    queryset = EpisodeOfCare.objects.none()
    serializer_class = EpisodeSerializer
    permission_classes = [permissions.EpisodeAccess]
    ordering_fields = ["opened_on", "closed_on", "status"]
    filterset_class = EpisodeFilter
    audit_patient = "patient"
    audit_list = audit.Read.EPISODE_LISTED
    audit_detail = audit.Read.EPISODE_VIEWED

    def get_queryset(self):
        return permissions.scoped_episodes(self.request.user).select_related("patient")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if data.pop("status", EpisodeStatus.OPEN) != EpisodeStatus.OPEN or data.pop("closed_on", None):
            raise ValidationError({"status": ["A new episode starts open; discharge it afterwards."]})
        patient = data.pop("patient")
        if not permissions.can_add_episode(self.request.user, patient):
            self.permission_denied(self.request)
        serializer.instance = _call(lambda: services.episode_open(actor=self.request.user, patient=patient, **data))

    def perform_update(self, serializer):
        _call(
            lambda: services.episode_update(
                actor=self.request.user, episode=serializer.instance, **serializer.validated_data
            )
        )


TOKEN_STATUSES = [(status.value, status.value.capitalize()) for status in api_tokens.TokenStatus]


@extend_schema_serializer(component_name="ApiToken")
class ApiTokenSerializer(ScopedModelSerializer):
    owner_name = serializers.CharField(source="owner.full_name", read_only=True)
    created_by = serializers.CharField(source="created_by.full_name", read_only=True)
    status = serializers.ChoiceField(choices=TOKEN_STATUSES, read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "owner",
            "owner_name",
            "prefix",
            "clinical_scope",
            "status",
            "created_at",
            "created_by",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="ApiTokenCreate")
class ApiTokenCreateSerializer(text_input.Serializer):
    # Another clinic's staff, or a deactivated account, is as unknown as a missing id.
    owner = ScopedPrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    name = serializers.CharField(max_length=80)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    clinical_scope = serializers.BooleanField(
        default=False,
        help_text="Lets the token read clinical records. Only for your own token (owner is you), if you may "
        "see clinical records: nobody may give another person's token this access.",
    )


@extend_schema_serializer(component_name="ApiTokenCreated")
class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField()

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token: ApiToken) -> str:
        return self.context["raw_token"]


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clinic admins' API tokens: list, create (the raw token is in that response only) and revoke.

    Tokens are revoked, never deleted, so the audit trail keeps naming them.
    """

    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.ManageApiTokens]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):
        return api_tokens.api_tokens_of_clinic(user=self.request.user)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
        description=(
            "Create a token for a staff member of your clinic. The response carries the token itself, "
            "once: only its fingerprint is kept. A token may not create tokens (use a session). A token "
            "that reads clinical records is made by its own staff member (under My API tokens)."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = ApiTokenCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        token, raw = _call(lambda: api_tokens.api_token_create(actor=request.user, **payload.validated_data))
        context = {**self.get_serializer_context(), "raw_token": raw}
        return Response(ApiTokenCreatedSerializer(token, context=context).data, status=201)

    @extend_schema(request=None, responses=ApiTokenSerializer, description="Revoke the token at once.")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = api_tokens.api_token_revoke(actor=request.user, token=self.get_object())
        return Response(self.get_serializer(token).data)
