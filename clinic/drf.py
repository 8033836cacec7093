"""What every API module shares: turning a service's or a form's validation errors into a DRF
400 of one shape, the JSON 404 of addresses under /api/ that name no route, the ordering of
lists, related ids and list filters limited to the user's clinic, the schema of payloads that a
Django form validates, and the ETags that keep two editors from overwriting each other."""

from __future__ import annotations

import hashlib
from datetime import datetime
from operator import attrgetter

from csp import constants as csp
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict
from django.views import defaults
from django_filters import rest_framework as filters
from django_filters.filters import QuerySetRequestMixin
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter

from clinic import audit, permissions, text_input

# Where messages that concern no single field go, in every 400 (DRF's NON_FIELD_ERRORS_KEY too).
NON_FIELD_KEY = "detail"


def call_service(write):
    """Run a service; its Django validation errors become a 400 with field messages."""
    try:
        return write()
    except DjangoValidationError as error:
        raise ValidationError(
            error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_KEY: error.messages}
        ) from error


def form_errors(form: forms.BaseForm) -> ValidationError:
    """A Django form's errors as the API's 400: each field with its list of messages."""
    return ValidationError({field: list(messages) for field, messages in form.errors.items()})


def json_object(data) -> dict:
    """The request's body, which must be a JSON object (not a list, a string, a number or null)."""
    if not isinstance(data, dict):
        raise ValidationError({NON_FIELD_KEY: ["Send a JSON object: the field names with their values."]})
    return data


def _is_text_or_number(value) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def form_data(data, form: forms.BaseForm) -> dict:
    """A JSON object as a Django form expects its data: text for each field (a number is taken
    as its digits), true or false for a yes/no field, a list for a field of several choices.
    Anything else is a 400 naming the field, rather than a value the form cannot read. A form-encoded
    body is already what a form reads."""
    if isinstance(data, MultiValueDict):
        return data
    values, errors = {}, {}
    for name, value in json_object(data).items():
        field = form.fields.get(name)
        if field is None or value is None:
            values[name] = value
        elif getattr(field.widget, "allow_multiple_selected", False):
            if isinstance(value, list) and all(
                isinstance(item, str | int) and not isinstance(item, bool) for item in value
            ):
                values[name] = [str(item) for item in value]
            else:
                errors[name] = ["Give a list of choices."]
        elif isinstance(field, forms.BooleanField):
            if isinstance(value, bool | str):
                values[name] = value
            else:
                errors[name] = ["Give true or false."]
        elif _is_text_or_number(value):
            values[name] = str(value)
        else:
            errors[name] = ["Give one value as text (or a number), not true/false, a list or an object."]
    if errors:
        raise ValidationError(errors)
    return values


def field_messages(errors):
    """Any 400 body in the one shape the API documents (``FieldErrors``): field -> list of
    messages, nested by index or key for list and map fields, messages of no single field
    under ``detail``. DRF answers ``{"field": "message"}`` when a view raises a plain string,
    ``{"detail": "message"}`` for a body that is not JSON, and Django says ``__all__``."""
    if isinstance(errors, dict):
        return {
            (NON_FIELD_KEY if key == NON_FIELD_ERRORS else str(key)): field_messages(value)
            for key, value in errors.items()
        }
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return errors
        return {str(index): field_messages(item) for index, item in enumerate(errors) if item}
    return [errors]


def exception_handler(exc, context):
    """DRF's handler, with every 400 body in the field-messages shape."""
    # Imported here: DRF's views module reads the renderer setting, which names this module's
    # renderer, as it loads; imported at the top it fails whenever this module is loaded first.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = field_messages(response.data)
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An address under /api/ that names no route (a malformed id, say) answers like the API's
    own 404s, in JSON; every other address gets the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A failure under /api/ answers in JSON, like every other API answer; elsewhere the site's
    page. (Every known cause of one is a bug with a test; this is the shape if one is left.)"""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side. Please try again later."}, status=500)
    return defaults.server_error(request)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, whose own templates style with style attributes and an inline
    <style> (its code highlighting): on its pages only, the Content-Security-Policy allows inline
    styles. Scripts stay as strict as everywhere (the page runs only DRF's own files)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_replace = {"style-src": [csp.SELF, csp.UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)


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


# Related ids and filter choices: only the rows the requesting user may see.


def _request_user(request):
    # The schema generator and the browsable API's forms may have no request, or no user.
    return getattr(request, "user", None)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id looked up among the rows the requesting user may see
    (``permissions.scoped``): another clinic's id is as unknown as one that does not exist,
    and the browsable API's choices list only the user's own clinic."""

    def get_queryset(self):
        return permissions.scoped(_request_user(self.context.get("request")), super().get_queryset())


class ScopedModelSerializer(text_input.ModelSerializer):
    """The API's model serializers: every foreign key it builds is a ScopedPrimaryKeyRelatedField,
    and text with a control character is refused."""

    serializer_related_field = ScopedPrimaryKeyRelatedField


class ScopedFilterSet(filters.FilterSet):
    """Every model choice of a filter (``?episode=``, ``?clinician=``...) is the user's scoped
    rows of that model, declared or generated: another clinic's id answers the same 400 as an
    id that does not exist, and the browsable API's filter form lists only the user's clinic."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for declared in self.filters.values():
            if isinstance(declared, QuerySetRequestMixin):
                model = _related_model(self._meta.model, declared.field_name)
                declared.queryset = lambda request, model=model: permissions.scoped(_request_user(request), model)


def _related_model(model, field_name: str):
    for part in field_name.split("__"):
        model = model._meta.get_field(part).related_model
    return model


class ScopedFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend with ScopedFilterSet under ``filterset_fields``; a viewset's own
    ``filterset_class`` must be a ScopedFilterSet too."""

    filterset_base = ScopedFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, ScopedFilterSet):
            raise ImproperlyConfigured(f"{type(view).__name__}.filterset_class must be a clinic.drf.ScopedFilterSet.")
        return filterset_class


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


# ETags and If-Match: two editors cannot overwrite each other silently.

_PRECONDITION_METHODS = frozenset({"PUT", "PATCH", "DELETE"})


def etag_of(*, label: str, pk: int, updated_at: datetime) -> str:
    """A strong ETag for one row as it stands: a row's identity and when it last changed.
    Hashed, so the header does not show the clock of the last edit."""
    digest = hashlib.sha256(f"{label}:{pk}:{updated_at.isoformat()}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def if_match_allows(if_match: str | None, current: str) -> bool:
    """Whether a write may go ahead under RFC 9110's If-Match: no header lets it through (so
    clients that do not send one keep working), ``*`` matches any row, otherwise one of the
    listed ETags must equal the current one by strong comparison, so a weak ``W/`` tag or
    anything unparseable never matches."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    if tags == ["*"]:
        return True
    return current in tags


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "This record was changed by someone else since you read it. "
        "Read it again (its ETag changes), then repeat your change."
    )
    default_code = "precondition_failed"


_ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The record's current version; send it back in If-Match when you change it.",
)
_IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "The ETag you read. If the record has changed since, nothing is saved and the answer is "
        "412 Precondition Failed. `*` matches any version; leaving the header out skips the check."
    ),
)
# For extend_schema_view on a viewset with ETagMixin: its read, its writes and its delete; the
# parameters for the @extend_schema of an action listed in ``etag_actions``.
etag_read_schema = extend_schema(parameters=[_ETAG_HEADER])
etag_write_schema = extend_schema(parameters=[_IF_MATCH_HEADER, _ETAG_HEADER])
etag_delete_schema = extend_schema(parameters=[_IF_MATCH_HEADER])
ETAG_ACTION_PARAMETERS = [_IF_MATCH_HEADER, _ETAG_HEADER]


# For a viewset of rows with ``updated_at``: detail reads and writes answer with the row's
# ETag, and a PUT, PATCH or DELETE (or a POST to one of the detail actions named in
# ``etag_actions``) whose If-Match names another version answers 412 and saves nothing.
# The check runs on the row locked for the rest of the request's transaction, so two writes
# carrying the same ETag cannot both pass it. (A comment, not a docstring: the API schema
# would show a docstring as the description of every viewset that has no docstring of its own.)
class ETagMixin:
    etag_actions: frozenset[str] = frozenset()

    def dispatch(self, request, *args, **kwargs):
        # ``self.action`` is set inside dispatch; the router's map already names it. Decided once
        # from the request as sent: OPTIONS reads the object again under a cloned PUT request
        # (DRF's metadata), outside any transaction, where a row lock is an error.
        action = getattr(self, "action_map", {}).get(request.method.lower())
        self._locking = self._guards(request.method, action)
        if self._locking:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def _guards(self, method: str, action: str | None) -> bool:
        return method in _PRECONDITION_METHODS or (method == "POST" and action in self.etag_actions)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self, "_locking", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        obj = super().get_object()
        if getattr(self, "_locking", False) and not if_match_allows(
            self.request.headers.get("If-Match"), self._etag(obj.pk, obj.updated_at)
        ):
            raise PreconditionFailed
        if self.action == "retrieve":
            self._etag_updated_at = obj.updated_at
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        answered = {"retrieve", "update", "partial_update", *self.etag_actions}
        if status.is_success(response.status_code) and self.action in answered:
            pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            updated_at = getattr(self, "_etag_updated_at", None)
            if updated_at is None:
                # Read after the write: the service may have saved another instance of the row.
                updated_at = self.queryset.model._default_manager.values_list("updated_at", flat=True).get(pk=pk)
            response["ETag"] = self._etag(pk, updated_at)
        return response

    def _etag(self, pk, updated_at: datetime) -> str:
        return etag_of(label=self.queryset.model._meta.label_lower, pk=int(pk), updated_at=updated_at)


# Patient data read through the API: every response that shows a patient's data owes an audit
# row per patient shown (``audit.record_shown``): a list page its patients (``audit_list``), a
# detail its row's patient (``audit_detail``). A write answers with the record it wrote, which its
# service audited, so no read row is added then; a PATCH that changes nothing, and answers with
# the whole record, is recorded as a read. ``audit_patient`` is the attribute path from a row to
# its patient (empty for a patient itself); the viewset's queryset selects it, so finding the
# patients costs no query. (A comment, not a docstring, for the API schema's sake as above.)
class AuditedReadsMixin:
    audit_patient: str = ""
    audit_list: audit.Read
    audit_detail: audit.Read

    def patient_of(self, row):
        return attrgetter(self.audit_patient)(row) if self.audit_patient else row

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is None:
            raise ImproperlyConfigured(f"{type(self).__name__} lists patient data: it must be paginated.")
        patients = [self.patient_of(row) for row in page]
        audit.record_shown(actor=self.request.user, action=self.audit_list, patients=patients)
        return page

    def get_object(self):
        row = super().get_object()
        self._shown_row = row
        return row

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        row = getattr(self, "_shown_row", None)
        if row is not None and status.is_success(response.status_code):
            audit.record_read(actor=request.user, action=self.audit_detail, obj=row, patient=self.patient_of(row))
        return response
