"""What every API module shares: turning a service's validation error into a DRF 400, and
the ordering of lists."""

from __future__ import annotations

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
