"""API helpers shared by the domain apps."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def django_errors_to_drf(error: DjangoValidationError) -> serializers.ValidationError:
    """Turn a service's ValidationError into DRF's, keeping field names: {"end_date": ["…"]}."""
    if hasattr(error, "error_dict"):
        detail: Any = {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    else:
        detail = {"non_field_errors": [str(m) for m in error.messages]}
    return serializers.ValidationError(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: business-rule errors raised by services answer 400 with field messages."""
    if isinstance(exc, DjangoValidationError):
        exc = django_errors_to_drf(exc)
    return drf_exception_handler(exc, context)
