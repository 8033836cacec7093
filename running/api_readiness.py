"""REST API of return-to-run checks: list, read and record (clinicians of the episode's clinic).
A check is signed as it is recorded and never changed. The verdict is worked out by the service
from what is sent, the clinic's criteria and thresholds and the episode's open red flags; the
serializers only check the shape of what is sent."""

from __future__ import annotations

from decimal import Decimal

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from clinic import audit, permissions, text_input
from clinic.drf import AuditedReadsMixin, ScopedFilterSet, ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from clinic.drf import call_service as _call
from clinic.models import EpisodeOfCare
from running import readiness
from running.models import (
    REACH_FIELDS,
    Decision,
    PelvicControl,
    ReadinessCheck,
    ReadinessItemResult,
    Side,
)
from running.services import readiness as services

CRITERION_KEYS = [criterion.key for criterion in readiness.CRITERIA]
# Worded apart from the plan item's sides, so the schema names this choice set on its own.
INVOLVED_SIDES = [(side.value, f"{side.label} leg") for side in Side]


@extend_schema_serializer(component_name="ReturnToRunCheckItem")
class ItemResultSerializer(ScopedModelSerializer):
    criterion = serializers.CharField(source="criterion_key", read_only=True)
    # Blank when not recorded (a read-only field built from the model would drop that from the schema).
    pelvic_control = serializers.ChoiceField(choices=PelvicControl.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ReadinessItemResult
        fields = [
            "criterion",
            "label",
            "measure",
            "value",
            "met",
            "pain",
            "pelvic_control",
            "note",
            "passed",
            "reasons",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="ReturnToRunCheck")
class CheckSerializer(ScopedModelSerializer):
    episode = serializers.IntegerField(source="episode_id", read_only=True)
    clinician_name = serializers.CharField(source="clinician.full_name", read_only=True)
    involved_side = serializers.ChoiceField(choices=INVOLVED_SIDES, allow_blank=True, read_only=True)
    lsi = serializers.SerializerMethodField(help_text="Limb symmetry index per reach direction, in %.")
    overridden = serializers.BooleanField(read_only=True, help_text="The decision goes against the checklist.")
    items = ItemResultSerializer(many=True, read_only=True)

    class Meta:
        model = ReadinessCheck
        fields = [
            "id",
            "episode",
            "clinician",
            "clinician_name",
            "checked_on",
            "return_to_run",
            "phase",
            "pain_now",
            "involved_side",
            *REACH_FIELDS,
            "lsi_formula",
            "lsi",
            "hos_adl",
            "hos_sport",
            "rule_start",
            "rule_reasons",
            "thresholds",
            "decision",
            "overridden",
            "override_reason",
            "next_check_on",
            "signed_at",
            "signed_credentials",
            "items",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=1)))
    def get_lsi(self, check: ReadinessCheck) -> dict:
        return {direction: str(value) for direction, value in services.lsi_of(check).items()}


@extend_schema_serializer(component_name="ReturnToRunCheckItemEntry")
class ItemEntrySerializer(text_input.Serializer):
    criterion = serializers.ChoiceField(choices=CRITERION_KEYS)
    value = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        min_value=0,
        max_value=9999,
        required=False,
        allow_null=True,
        help_text="A timed or counted result: seconds, repetitions or minutes, as the criterion says.",
    )
    met = serializers.BooleanField(
        required=False, allow_null=True, help_text="For a criterion without a numeric target: met or not."
    )
    pain = serializers.BooleanField(required=False, default=False)
    pelvic_control = serializers.ChoiceField(choices=PelvicControl.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


def _reach() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=300,
        required=False,
        allow_null=True,
        help_text="Raw reach in cm.",
    )


@extend_schema_serializer(component_name="ReturnToRunCheckEntry")
class CheckEntrySerializer(text_input.Serializer):
    episode = ScopedPrimaryKeyRelatedField(queryset=EpisodeOfCare.objects.all())
    checked_on = serializers.DateField()
    pain_now = serializers.IntegerField(min_value=0, max_value=10)
    involved_side = serializers.ChoiceField(
        choices=INVOLVED_SIDES, required=False, allow_blank=True, help_text=readiness.Y_BALANCE_HELP
    )
    reach_left_anterior = _reach()
    reach_left_posteromedial = _reach()
    reach_left_posterolateral = _reach()
    reach_right_anterior = _reach()
    reach_right_posteromedial = _reach()
    reach_right_posterolateral = _reach()
    hos_adl = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text=readiness.HOS_HELP,
    )
    hos_sport = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text=readiness.HOS_HELP,
    )
    items = ItemEntrySerializer(many=True, required=False, max_length=len(CRITERION_KEYS))
    decision = serializers.ChoiceField(choices=Decision.choices)
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required when deciding against the checklist."
    )
    next_check_on = serializers.DateField(required=False, allow_null=True)

    def validate_items(self, items: list[dict]) -> list[dict]:
        keys = [item["criterion"] for item in items]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError("Give each criterion once.")
        return items

    def entry(self) -> services.Entry:
        values = dict(self.validated_data)
        items = values.pop("items", [])
        values.pop("episode")
        values.setdefault("involved_side", "")
        values.setdefault("override_reason", "")
        return services.Entry(
            values=values,
            items={
                item["criterion"]: readiness.ItemInput(
                    item["criterion"],
                    value=item.get("value"),
                    met=item.get("met"),
                    pain=item.get("pain", False),
                    pelvic_control=item.get("pelvic_control", ""),
                )
                for item in items
            },
            notes={item["criterion"]: item.get("note", "") for item in items},
        )


class CheckFilter(ScopedFilterSet):
    episode = filters.ModelChoiceFilter(queryset=EpisodeOfCare.objects.none())

    class Meta:
        model = ReadinessCheck
        fields = ["episode"]


class ReadinessCheckViewSet(
    AuditedReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Return-to-run checks of the user's clinic, item by item: clinicians only."""

    queryset = ReadinessCheck.objects.none()
    serializer_class = CheckSerializer
    permission_classes = [permissions.ClinicalAccess]
    ordering_fields = ["checked_on", "signed_at"]
    filterset_class = CheckFilter
    audit_patient = "episode.patient"
    audit_list = audit.Read.READINESS_CHECK_LISTED
    audit_detail = audit.Read.READINESS_CHECK_VIEWED

    def get_queryset(self):
        return (
            permissions.scoped(self.request.user, ReadinessCheck)
            .select_related("episode__patient", "clinician")
            .prefetch_related("items")
        )

    @extend_schema(
        request=CheckEntrySerializer,
        responses={201: CheckSerializer},
        description=(
            "Record and sign a return-to-run check. The checklist's verdict is worked out from what is sent "
            "(open emergency or urgent red flags first); a decision against it needs override_reason."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = CheckEntrySerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        episode = payload.validated_data["episode"]
        check = _call(lambda: services.check_record(actor=request.user, episode=episode, entry=payload.entry()))
        return Response(self.get_serializer(self.get_queryset().get(pk=check.pk)).data, status=status.HTTP_201_CREATED)
