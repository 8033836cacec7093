"""How the API appears in the OpenAPI schema (drf-spectacular): its own authentication classes
(the browser's session cookie and the integrations' Bearer token) and the error responses
every operation documents."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_bearer_security_scheme_object


class StaffSessionScheme(SessionScheme):
    target_class = "clinic.api_auth.SessionAuthentication"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "clinic.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106  (a scheme name)


# --- Error responses -----------------------------------------------------------------------------
#
# Every operation documents the errors it can answer with, once, here: ``{"detail": "..."}``
# for refusals and ``{"field": ["message", ...]}`` for bad input (clinic.drf.exception_handler
# puts every 400 in that shape).

_ERROR = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "description": "Why the request was refused, in words.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
)
_FIELD_ERRORS = ResolvedComponent(
    name="FieldErrors",
    type=ResolvedComponent.SCHEMA,
    object="FieldErrors",
    schema={
        "type": "object",
        "description": (
            "Bad input: each field that was refused, with its messages. Messages that concern no single "
            "field are under `detail`; the messages of a list or map field are nested under the item's "
            "index or key."
        ),
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"$ref": "#/components/schemas/FieldErrors"},
            ]
        },
    },
)


def _response(name: str, description: str, schema: ResolvedComponent, headers: dict | None = None):
    body = {"description": description, "content": {"application/json": {"schema": schema.ref}}}
    if headers:
        body["headers"] = headers
    return ResolvedComponent(name=name, type=ResolvedComponent.RESPONSE, object=name, schema=body)


_BAD_REQUEST = _response("BadRequest", "The input was refused: the messages of each field.", _FIELD_ERRORS)
_UNAUTHORIZED = _response(
    "Unauthorized",
    "The API token is unknown, revoked or expired, or its account is deactivated.",
    _ERROR,
    headers={"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
)
_FORBIDDEN = _response(
    "Forbidden", "Not signed in, or your role may not do this (a record of your own clinic).", _ERROR
)
_NOT_FOUND = _response(
    "NotFound", "No such record in your clinic (another clinic's records are not revealed), or no such page.", _ERROR
)
_PRECONDITION_FAILED = _response(
    "PreconditionFailed", "The If-Match ETag is not the record's current one: nothing was saved.", _ERROR
)
_TOO_MANY_REQUESTS = _response(
    "TooManyRequests",
    "Too many requests for this token or user; try again after the given number of seconds.",
    _ERROR,
    headers={"Retry-After": {"schema": {"type": "integer"}, "required": True}},
)


class StrideAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the error responses each operation can give."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for code, component in self._error_responses(operation).items():
            for part in (_ERROR, _FIELD_ERRORS, component):
                self.registry.register_on_missing(part)
            operation["responses"].setdefault(code, component.ref)
        return operation

    def _error_responses(self, operation: dict) -> dict[str, ResolvedComponent]:
        parameters = {(parameter["in"], parameter["name"]) for parameter in operation.get("parameters", [])}
        # Writes run a service, which may refuse the change even without a body (signing an
        # unchanged plan, completing a completed assessment).
        takes_input = self.method in {"POST", "PUT", "PATCH"} or any(where == "query" for where, _ in parameters)
        paginated = self._get_paginator() is not None and self._is_list_view()
        errors = {"401": _UNAUTHORIZED, "403": _FORBIDDEN, "429": _TOO_MANY_REQUESTS}
        if takes_input:
            errors["400"] = _BAD_REQUEST
        if "{" in self.path or paginated:
            errors["404"] = _NOT_FOUND
        if ("header", "If-Match") in parameters:
            errors["412"] = _PRECONDITION_FAILED
        return dict(sorted(errors.items()))
