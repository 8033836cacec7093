"""What every API module shares: turning a service's validation error into a DRF 400, the
ordering of lists, and the schema of payloads that a Django form validates."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


def call_service(write):
    """Run a service; its Django validation errors become a 400 with field messages."""
    try:
        return write()
    except DjangoValidationError as error:
        raise ValidationError(
            error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
        ) from error


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` over the fields a viewset lists in ``ordering_fields``, with the id as
    the last key: rows that tie on the asked field keep one order, so no row moves between
    pages. A viewset without ``ordering_fields`` is not orderable (DRF's default would allow
    every serializer field)."""

    ordering_fields: list[str] = []

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering = [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]
        return ordering

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order the list by these fields, comma-separated; `-` before a field reverses it.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [key for field in fields for key in (field, f"-{field}")]},
                },
                "style": "form",
                "explode": False,
            }
        ]


def form_schema(
    form: forms.Form, *, partial: bool = False, read: bool = False, outside_form: dict[str, dict] | None = None
) -> dict:
    """The OpenAPI schema of the JSON object that a Django form validates, built from the
    form's own fields, so an endpoint validated by a form is documented by that same form.

    ``partial`` documents an update where every field may be left out; ``read`` documents the
    values as the API reads them back (any of them may be null, decimals come as strings).
    ``outside_form`` adds required properties that the view reads itself (such as the id of
    the record the form is about).
    """
    outside_form = outside_form or {}
    properties = {
        **outside_form,
        **{name: _form_field_schema(field, read=read) for name, field in form.fields.items()},
    }
    schema = {"type": "object", "properties": properties}
    required = [*outside_form, *(name for name, field in form.fields.items() if field.required)]
    if required and not (partial or read):
        schema["required"] = required
    return schema


def _form_field_schema(field: forms.Field, *, read: bool) -> dict:
    # Subclasses before their parents: DecimalField is an IntegerField, TypedChoiceField a ChoiceField.
    if isinstance(field, forms.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        schema = {"type": "integer", "enum": [int(value) for value, _ in field.choices if value != ""]}
    elif isinstance(field, forms.ChoiceField):
        schema = {"type": "string", "enum": [value for value, _ in field.choices]}
    elif isinstance(field, forms.DecimalField):
        # Read back as a string, which keeps its decimals; bounds are for what is sent.
        schema = {"type": "string", "format": "decimal"} if read else {"type": "number", **_bounds(field)}
    elif isinstance(field, forms.IntegerField):
        schema = {"type": "integer", **_bounds(field)}
    elif isinstance(field, forms.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, forms.CharField):
        schema = {"type": "string", **({"maxLength": field.max_length} if field.max_length else {})}
    else:
        raise TypeError(f"No OpenAPI type for the form field {type(field).__name__}: add it to form_schema.")
    if field.label:
        schema["description"] = str(field.label)
    if read or not field.required:
        schema["nullable"] = True
    return schema


def _bounds(field: forms.Field) -> dict:
    bounds = {"minimum": field.min_value, "maximum": field.max_value}
    # JSON has no decimals: the bounds of a decimal field are documented as plain numbers.
    return {
        key: value if isinstance(value, int) else float(value) for key, value in bounds.items() if value is not None
    }
