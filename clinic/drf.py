"""What every API module shares: turning a service's validation error into a DRF 400."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError


def call_service(write):
    """Run a service; its Django validation errors become a 400 with field messages."""
    try:
        return write()
    except DjangoValidationError as error:
        raise ValidationError(
            error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
        ) from error
