"""REST API of the clinic core. Same services, same permission rules as the HTML views.

Search takes its query in a POST body so patient names never appear in URLs or logs.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clinic import api_tokens, audit, permissions, selectors, services, text_input
from clinic.drf import ETagMixin, etag_read_schema, etag_write_schema
from clinic.drf import call_service as _call
from clinic.models import ApiToken, EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.services import PATIENT_FIELDS


class PatientSerializer(text_input.ModelSerializer):
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
class PatientViewSet(ETagMixin, NoDeleteViewSet):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = Patient.objects.none()
    serializer_class = PatientSerializer
    permission_classes = [permissions.PatientAccess]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "updated_at"]

    def get_queryset(self):
        return permissions.scoped_patients(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        patient = self.get_object()
        audit.record(actor=request.user, action="patient.viewed", obj=patient)
        return Response(self.get_serializer(patient).data)

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


def _request_patients(request):
    return permissions.scoped_patients(request.user) if request else Patient.objects.none()


def _request_clinicians(request):
    # The schema generator builds serializers for an anonymous user, who has no clinic.
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    return selectors.clinicians_of(clinic_id=request.user.clinic_id)


class EpisodeSerializer(text_input.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    lead_clinician = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())

    class Meta:
        model = EpisodeOfCare
        fields = ["id", "patient", "presenting_complaint", "status", "lead_clinician", "opened_on", "closed_on"]
        read_only_fields = ["id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Ids from another clinic are "not found", exactly like ids that do not exist.
        self.fields["patient"].queryset = _request_patients(request)
        self.fields["lead_clinician"].queryset = _request_clinicians(request)
        if self.instance is not None:
            self.fields["patient"].read_only = True


class EpisodeFilter(filters.FilterSet):
    # Choices limited to the user's clinic: another clinic's id is as unknown as a missing one.
    patient = filters.ModelChoiceFilter(queryset=_request_patients)
    lead_clinician = filters.ModelChoiceFilter(queryset=_request_clinicians)

    class Meta:
        model = EpisodeOfCare
        fields = ["patient", "status", "lead_clinician"]


@extend_schema_view(retrieve=etag_read_schema, update=etag_write_schema, partial_update=etag_write_schema)
class EpisodeViewSet(ETagMixin, NoDeleteViewSet):
    queryset = EpisodeOfCare.objects.none()
    serializer_class = EpisodeSerializer
    permission_classes = [permissions.EpisodeAccess]
    ordering_fields = ["opened_on", "closed_on", "status"]
    filterset_class = EpisodeFilter

    def get_queryset(self):
        return permissions.scoped_episodes(self.request.user).select_related("patient")

    def retrieve(self, request, *args, **kwargs):
        episode = self.get_object()
        audit.record(actor=request.user, action="episode.viewed", obj=episode)
        return Response(self.get_serializer(episode).data)

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


def _request_token_owners(request):
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    return api_tokens.token_owners(user=request.user)


TOKEN_STATUSES = [(status.value, status.value.capitalize()) for status in api_tokens.TokenStatus]


@extend_schema_serializer(component_name="ApiToken")
class ApiTokenSerializer(text_input.ModelSerializer):
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
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    name = serializers.CharField(max_length=80)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    clinical_scope = serializers.BooleanField(default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Another clinic's staff, or a deactivated account, is as unknown as a missing id.
        self.fields["owner"].queryset = _request_token_owners(self.context.get("request"))


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
            "once: only its fingerprint is kept. A token may not create tokens (use a session)."
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
