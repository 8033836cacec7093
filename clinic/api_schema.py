"""How the API's own authentication classes appear in the OpenAPI schema (drf-spectacular):
the browser's session cookie and the integrations' Bearer token."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class StaffSessionScheme(SessionScheme):
    target_class = "clinic.api_auth.SessionAuthentication"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "clinic.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106  (a scheme name)
