"""REST API of webhook endpoints, for clinic admins: the same services and rules as the pages.

The secret is in the response of create and ``rotate-secret`` only; every other answer
shows its first characters (``secret_hint``).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from clinic import permissions, text_input
from clinic.drf import call_service as _call
from clinic.webhooks import rules, selectors, services
from clinic.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_manage_webhooks(request.user)


class EndpointSerializer(text_input.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[event.value for event in rules.EventType]), allow_empty=False
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "secret_hint",
            "previous_secret_until",
            "active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "secret_hint",
            "previous_secret_until",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "active": {"help_text": "Set false to disable the endpoint, true to enable it again."},
            "previous_secret_until": {
                "help_text": "Until then, deliveries are also signed with the secret the last rotation replaced."
            },
        }


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown in this response only; copy it now.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class AttemptSerializer(text_input.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["started_at", "duration_ms", "status_code", "error"]
        read_only_fields = fields


class DeliverySerializer(text_input.ModelSerializer):
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    # The model for the schema; get_queryset scopes every request to the admin's clinic.
    queryset = WebhookEndpoint.objects.none()
    serializer_class = EndpointSerializer
    permission_classes = [WebhookAccess]
    ordering_fields = ["created_at", "updated_at"]
    filterset_fields = ["active"]

    def get_queryset(self):
        return selectors.endpoints_for(self.request.user)

    @extend_schema(
        request=EndpointSerializer,
        responses={201: EndpointWithSecretSerializer},
        description="Register an endpoint; the response carries its signing secret, shown this once.",
    )
    def create(self, request, *args, **kwargs):
        payload = EndpointSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        active = data.pop("active", True)
        endpoint, secret = _call(lambda: services.endpoint_create(actor=request.user, **data))
        if not active:
            endpoint = services.endpoint_disable(actor=request.user, endpoint=endpoint)
        body = EndpointWithSecretSerializer(endpoint).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        active = data.pop("active", None)
        endpoint = serializer.instance
        endpoint = _call(lambda: services.endpoint_update(actor=self.request.user, endpoint=endpoint, **data))
        if active is True:
            endpoint = services.endpoint_enable(actor=self.request.user, endpoint=endpoint)
        elif active is False:
            endpoint = services.endpoint_disable(actor=self.request.user, endpoint=endpoint)
        serializer.instance = endpoint

    def perform_destroy(self, instance):
        _call(lambda: services.endpoint_delete(actor=self.request.user, endpoint=instance))

    @extend_schema(
        request=None,
        responses=EndpointWithSecretSerializer,
        description="Replace the signing secret at once; the response carries the new one, shown this once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint, secret = services.endpoint_rotate_secret(actor=request.user, endpoint=self.get_object())
        body = EndpointWithSecretSerializer(endpoint).data
        body["secret"] = secret
        return Response(body)

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        description="Send a test event (type `ping`, no data) to this endpoint.",
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        delivery = _call(lambda: services.ping(actor=request.user, endpoint=self.get_object()))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=DeliverySerializer(many=True),
        filters=False,
        description="The endpoint's delivery log, newest first, with every attempt.",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        page = self.paginate_queryset(selectors.deliveries_of(self.get_object()))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
