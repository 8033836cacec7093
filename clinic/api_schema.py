"""How the API appears in the OpenAPI schema (drf-spectacular): its own authentication classes
(the browser's session cookie and the integrations' Bearer token) and the error responses
every operation documents."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_bearer_security_scheme_object
from rest_framework.pagination import PageNumberPagination


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
_UNSUPPORTED_MEDIA_TYPE = _response(
    "UnsupportedMediaType",
    "The body is in a media type the operation does not read (send JSON, a form or multipart), or has none.",
    _ERROR,
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
        for parameter in operation.get("parameters", []):
            # Pages are numbered from 1: page 0 or below is "no such page" (404), not a page.
            if (parameter["in"], parameter["name"]) == ("query", PageNumberPagination.page_query_param):
                parameter["schema"]["minimum"] = 1
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
        # DRF parses a body only as one of its parsers' media types, and refuses any other.
        if "requestBody" in operation:
            errors["415"] = _UNSUPPORTED_MEDIA_TYPE
        return dict(sorted(errors.items()))


# --- Links: where the id of a record goes next ---------------------------------------------------
#
# OpenAPI links tell a client (and the stateful fuzz in tests/fuzz) which calls take the id of a
# record: a create's 201 links to the record's own routes (``/api/patients/{id}/...``); the create
# and every route answering with the same record link to the creates whose body names it
# (``patient`` in a new episode, ``episode`` in a new assessment, invitation or appointment,
# ``assessment`` in a new plan or finding) and to the lists filtered by it. A resource is named
# by its router prefix without the plural ``s``, so a new endpoint that follows the naming gets
# its links with no change here.

_METHODS = ("get", "put", "patch", "post", "delete")
_RECORD_ID = "$response.body#/id"
# Fields that a record carries under another name: a new appointment is with the episode's lead.
_CARRIED = {("episode", "appointments_create"): {"clinician": "$response.body#/lead_clinician"}}


def _operations(result: dict):
    for path, item in result["paths"].items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def _json_schema(container: dict, components: dict) -> dict:
    schema = container.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        return components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _record_links(name: str, result: dict, components: dict) -> dict[str, dict]:
    """Links from a response that is the record ``name`` to the calls that take its id."""
    links = {}
    for path, method, operation in _operations(result):
        target = operation["operationId"]
        query = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
        body = _json_schema(operation.get("requestBody", {}), components).get("properties", {})
        if method == "post" and "{" not in path and name in body:
            links[target] = {
                "operationId": target,
                "requestBody": {name: _RECORD_ID, **_CARRIED.get((name, target), {})},
                "description": f"A new record for this {name}.",
            }
        elif method == "get" and name in query:
            links[target] = {
                "operationId": target,
                "parameters": {f"query.{name}": _RECORD_ID},
                "description": f"The list of this {name}'s records.",
            }
    return links


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the links of each record's responses."""
    components = result.get("components", {}).get("schemas", {})
    for collection, item in result["paths"].items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if "{" in collection or not created or "$ref" in created:
            continue
        name = collection.rstrip("/").rsplit("/", 1)[-1].removesuffix("s").replace("-", "_")
        record = created.get("content", {}).get("application/json", {}).get("schema")
        links = _record_links(name, result, components)
        own_routes = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {"path.id": _RECORD_ID},
                "description": f"The new {name}'s own route.",
            }
            for path, _, operation in _operations(result)
            if path.startswith(f"{collection}{{id}}/")
        }
        if links or own_routes:
            created["links"] = {**own_routes, **links}
        if not links:
            continue
        # The routes of the record that answer with the record itself lead on the same way.
        for path, _, operation in _operations(result):
            answer = operation["responses"].get("200") or {"$ref": None}
            same_record = answer.get("content", {}).get("application/json", {}).get("schema") == record
            if path.startswith(f"{collection}{{id}}/") and "$ref" not in answer and same_record:
                answer["links"] = dict(links)
    return result
