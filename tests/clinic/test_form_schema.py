"""``clinic.drf.form_schema``: the OpenAPI schema of a payload that a Django form validates,
one table row per kind of form field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from clinic.drf import form_schema


class _VisitForm(forms.Form):
    assessed_on = forms.DateField(label="Date of the visit")
    notes = forms.CharField(max_length=300, required=False)


@pytest.mark.parametrize(
    ("field", "read", "expected"),
    [
        (forms.BooleanField(required=False), False, {"type": "boolean", "nullable": True}),
        (forms.IntegerField(min_value=60, max_value=260), False, {"type": "integer", "minimum": 60, "maximum": 260}),
        (forms.IntegerField(), False, {"type": "integer"}),
        (
            forms.DecimalField(min_value=Decimal("50.0"), max_value=Decimal("130.0"), decimal_places=1),
            False,
            {"type": "number", "minimum": 50.0, "maximum": 130.0},
        ),
        (
            forms.DecimalField(min_value=Decimal("50.0"), decimal_places=1),
            True,
            {"type": "string", "format": "decimal", "nullable": True},
        ),
        (
            forms.TypedChoiceField(choices=[("", "—"), ("3", "3"), ("0", "0 (pain)")], coerce=int, required=False),
            False,
            {"type": "integer", "enum": [3, 0], "nullable": True},
        ),
        (
            forms.ChoiceField(choices=[("goniometer", "Goniometer"), ("inclinometer", "Inclinometer")]),
            False,
            {"type": "string", "enum": ["goniometer", "inclinometer"]},
        ),
        (
            forms.ChoiceField(choices=[("", "—"), ("groin", "Groin / front")], required=False),
            False,
            {"type": "string", "enum": ["", "groin"], "nullable": True},
        ),
        (
            forms.DateField(label="Date of the visit"),
            False,
            {"type": "string", "format": "date", "description": "Date of the visit"},
        ),
        (forms.CharField(max_length=3000), False, {"type": "string", "maxLength": 3000}),
        (forms.CharField(), True, {"type": "string", "nullable": True}),
    ],
)
def test_each_form_field_becomes_its_openapi_type(field, read, expected):
    class OneField(forms.Form):
        value = field

    assert form_schema(OneField(), read=read)["properties"]["value"] == expected


@pytest.mark.parametrize(
    ("options", "required"),
    [
        ({}, ["assessed_on"]),
        ({"partial": True}, None),
        ({"read": True}, None),
        ({"outside_form": {"episode": {"type": "integer"}}}, ["episode", "assessed_on"]),
    ],
)
def test_required_fields(options, required):
    schema = form_schema(_VisitForm(), **options)

    assert schema.get("required") == required
    assert list(schema["properties"])[-2:] == ["assessed_on", "notes"]


def test_a_field_with_no_known_type_is_refused_rather_than_documented_as_anything():
    class UploadForm(forms.Form):
        scan = forms.FileField()

    with pytest.raises(TypeError, match="FileField"):
        form_schema(UploadForm())
