"""REST API of the schedule, for the front desk and clinicians, with the page's rules:
availability, and appointments (book, reschedule, cancel, status)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from clinic import audit, permissions, plausible_dates, selectors, text_input
from clinic.drf import ETAG_ACTION_PARAMETERS, AuditedReadsMixin, ETagMixin, ScopedModelSerializer, etag_read_schema
from clinic.drf import call_service as _call
from clinic.scheduling import rules, services
from clinic.scheduling import selectors as schedule
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus


class ScheduleAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return permissions.can_view_schedule(request.user)
        return permissions.can_schedule(request.user)


class AppointmentSerializer(ScopedModelSerializer):
    class Meta:
        model = Appointment
        fields = [
            "id",
            "episode",
            "clinician",
            "kind",
            "starts_at",
            "ends_at",
            "status",
            "cancel_reason",
            "override_reason",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="AppointmentBook")
class BookSerializer(text_input.Serializer):
    episode = serializers.IntegerField()
    clinician = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=AppointmentKind.choices, default=AppointmentKind.FOLLOW_UP)
    minutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    override_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="AppointmentReschedule")
class RescheduleSerializer(text_input.Serializer):
    starts_at = serializers.DateTimeField()
    clinician = serializers.IntegerField(required=False, help_text="Another clinician of the clinic; absent: the same.")
    override_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="AppointmentCancel")
class CancelSerializer(text_input.Serializer):
    reason = serializers.CharField(max_length=200)


# The statuses a visit may be set to by hand (cancelling has its own action, with a reason).
STATUS_CHANGES = [
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.BOOKED,
]


@extend_schema_serializer(component_name="AppointmentStatusChange")
class StatusSerializer(text_input.Serializer):
    status = serializers.ChoiceField(choices=STATUS_CHANGES)


class AvailabilitySerializer(text_input.Serializer):
    clinician = serializers.IntegerField()
    day = serializers.DateField()
    minutes = serializers.IntegerField(min_value=5, max_value=240, default=30)

    def validate_day(self, day):
        if problem := plausible_dates.problem(day, timezone.localdate()):
            raise serializers.ValidationError(problem)
        return day


@extend_schema_view(retrieve=etag_read_schema)
class AppointmentViewSet(
    AuditedReadsMixin, ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # The model for the schema; get_queryset scopes every request to the user's clinic.
    queryset = Appointment.objects.none()
    # Moving, cancelling and changing a visit's status take If-Match and answer with the ETag.
    etag_actions = frozenset({"reschedule", "cancel", "status"})
    serializer_class = AppointmentSerializer
    permission_classes = [ScheduleAccess]
    ordering_fields = ["starts_at", "ends_at", "status"]
    filterset_fields = ["episode", "clinician", "status"]
    audit_patient = "episode.patient"
    audit_list = audit.Read.APPOINTMENT_LISTED
    audit_detail = audit.Read.APPOINTMENT_VIEWED

    def get_queryset(self):
        return Appointment.objects.filter(episode__in=permissions.scoped_episodes(self.request.user)).select_related(
            "clinician__clinic", "episode__patient"
        )

    def _clinician(self, clinician_id: int):
        clinician = selectors.clinicians_of(user=self.request.user).filter(pk=clinician_id).first()
        if clinician is None:
            raise ValidationError({"clinician": ["No such clinician in your clinic."]})
        return clinician

    @extend_schema(
        request=BookSerializer,
        responses={201: AppointmentSerializer},
        description="Book a visit; outside working hours or in time off it needs an override reason.",
    )
    def create(self, request, *args, **kwargs):
        payload = BookSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        episode = permissions.scoped_episodes(request.user).filter(pk=data["episode"]).first()
        if episode is None:
            raise ValidationError({"episode": ["No such episode in your clinic."]})
        appointment = _call(
            lambda: services.appointment_book(
                actor=request.user,
                episode=episode,
                clinician=self._clinician(data["clinician"]),
                starts_at=data["starts_at"],
                kind=data["kind"],
                minutes=data.get("minutes"),
                override_reason=data["override_reason"],
            )
        )
        return Response(self.get_serializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RescheduleSerializer, responses=AppointmentSerializer, parameters=ETAG_ACTION_PARAMETERS)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        payload = RescheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        clinician = self._clinician(data.pop("clinician")) if "clinician" in data else None
        appointment = _call(
            lambda: services.appointment_reschedule(
                actor=request.user, appointment=self.get_object(), clinician=clinician, **data
            )
        )
        return Response(self.get_serializer(appointment).data)

    @extend_schema(request=CancelSerializer, responses=AppointmentSerializer, parameters=ETAG_ACTION_PARAMETERS)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        appointment = _call(
            lambda: services.appointment_cancel(
                actor=request.user, appointment=self.get_object(), reason=payload.validated_data["reason"]
            )
        )
        return Response(self.get_serializer(appointment).data)

    @extend_schema(request=StatusSerializer, responses=AppointmentSerializer, parameters=ETAG_ACTION_PARAMETERS)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        payload = StatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        appointment = _call(
            lambda: services.appointment_set_status(
                actor=request.user, appointment=self.get_object(), status=payload.validated_data["status"]
            )
        )
        return Response(self.get_serializer(appointment).data)

    @extend_schema(
        parameters=[AvailabilitySerializer],
        responses=inline_serializer(
            "FreeSlot", {"start": serializers.DateTimeField(), "end": serializers.DateTimeField()}, many=True
        ),
        filters=False,
    )
    # All of one day's free slots at once, so the list is not paginated.
    @action(detail=False, methods=["get"], pagination_class=None)
    def availability(self, request):
        """Free slots of one clinician on one day, in the clinic's time zone."""
        query = AvailabilitySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinician = self._clinician(query.validated_data["clinician"])
        day = query.validated_data["day"]
        zone = clinician.clinic.zone
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
        slots = rules.free_slots(
            day,
            length=datetime.timedelta(minutes=query.validated_data["minutes"]),
            hours=schedule.working_hours(clinician),
            busy=schedule.busy(clinician, start, start + datetime.timedelta(days=1)),
            zone=zone,
        )
        return Response([{"start": slot.start.isoformat(), "end": slot.end.isoformat()} for slot in slots])
