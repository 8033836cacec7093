"""The FHIR API: thin DRF views answering ``application/fhir+json``.

Errors are OperationOutcome resources: 401 without (or with a refused) credential, 403 for a
role or token that may not read clinical records, 404 for an id that does not exist or belongs
to another clinic. Every read of a record is audited against its patient.

These views are left out of the OpenAPI schema on purpose: a FHIR server describes itself
with its CapabilityStatement (``/fhir/metadata``) and its resources are defined by the FHIR
specification, which an OpenAPI "object" would only blur.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import audit, permissions
from clinic.fhir import bundle, mapping, selectors

FHIR_VERSION = "4.0.1"
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    406: "not-supported",
    429: "throttled",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


def operation_outcome(status_code: int, diagnostics: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": _ISSUE_CODES.get(status_code, "exception"), "diagnostics": diagnostics}
        ],
    }


class FhirView(APIView):
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    permission_classes = [permissions.ClinicalExportAccess]

    def get_authenticate_header(self, request) -> str:
        # An anonymous FHIR client is told to authenticate (401), as FHIR clients expect,
        # where the rest of the API answers 403 for the browser's sake.
        return 'Bearer realm="api"'

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = operation_outcome(response.status_code, str(detail) or response.status_text)
        return response

    def _patient(self, request, patient_id: int):
        """The patient the read is about: 404 unless the user's clinic holds it, 403 if the
        user or token may not see its clinical record."""
        patient = selectors.export_patient(user=request.user, patient_id=patient_id)
        if patient is None:
            raise NotFound(_NO_SUCH_RESOURCE)
        self.check_object_permissions(request, patient)
        return patient


_NO_SUCH_RESOURCE = "No such resource."


class EverythingView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request, pk: str):
        patient = self._patient(request, int(pk))
        entries = bundle.resources(selectors.patient_rows(patient), site_url=settings.SITE_URL)
        audit.record(actor=request.user, action=audit.Read.FHIR_EVERYTHING_READ, obj=patient)
        # The self link is built from SITE_URL like every fullUrl, never from the request's Host header.
        self_url = f"{bundle.base_url(settings.SITE_URL)}/Patient/{patient.pk}/$everything"
        return Response(bundle.searchset(entries, site_url=settings.SITE_URL, self_url=self_url))


class ReadView(FhirView):
    @extend_schema(exclude=True)
    def get(self, request, resource_type: str, resource_id: str):
        owner = selectors.owner_of(resource_type, resource_id)
        if owner is None:
            raise NotFound(_NO_SUCH_RESOURCE)
        row, patient_id = owner
        patient = self._patient(request, patient_id)
        # The whole record is assembled (a fixed number of queries) so a resource reads the
        # same here as in $everything; a row the export leaves out (a draft) is not found.
        entries = bundle.resources(selectors.patient_rows(patient), site_url=settings.SITE_URL)
        resource = bundle.find(entries, resource_type, resource_id)
        if resource is None:
            raise NotFound(_NO_SUCH_RESOURCE)
        audit.record(actor=request.user, action=audit.Read.FHIR_RESOURCE_READ, obj=row, patient=patient)
        return Response(resource)


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class BinaryView(FhirView):
    """A home-program PDF (the DocumentReference's attachment). As FHIR has it, the raw file
    unless the client asks for a FHIR format, then a Binary resource with the file in base64.
    Errors are OperationOutcomes in JSON whatever was asked for."""

    renderer_classes = [PdfRenderer, FhirJSONRenderer, JSONRenderer]

    def handle_exception(self, exc):
        self.request.accepted_renderer = FhirJSONRenderer()
        self.request.accepted_media_type = FhirJSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(exclude=True)
    def get(self, request, resource_id: str):
        found = selectors.ready_handout(resource_id)
        if found is None:
            raise NotFound(_NO_SUCH_RESOURCE)
        handout, patient_id = found
        patient = self._patient(request, patient_id)
        with handout.file.open("rb") as pdf:
            content = pdf.read()
        audit.record(actor=request.user, action=audit.Read.HANDOUT_DOWNLOADED, obj=handout, patient=patient)
        if isinstance(request.accepted_renderer, PdfRenderer):
            return HttpResponse(
                content,
                content_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="home-program-v{handout.version.number}.pdf"'},
            )
        return Response(mapping.binary(handout, content))


class MetadataView(FhirView):
    """The CapabilityStatement. Public, as FHIR clients read it before they authenticate: it
    names the resource types and operations, the same for every clinic, and no record."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(capability_statement(base=bundle.base_url(settings.SITE_URL)))


class UnknownView(FhirView):
    """Anything else under /fhir/: a FHIR 404 rather than the site's HTML page."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, rest: str = ""):
        raise NotFound(_NO_SUCH_RESOURCE)


def capability_statement(*, base: str) -> dict:
    read = [{"code": "read"}]
    resources = []
    for resource_type in (*selectors.RESOURCE_TYPES, "Binary"):
        resource = {"type": resource_type, "interaction": read}
        if resource_type == "Patient":
            resource["operation"] = [
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "Stride",
        "kind": "instance",
        "software": {"name": "Stride"},
        "implementation": {"description": "Stride clinic records (read-only export)", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Clinicians only: a signed-in session, or Authorization: Bearer <token> with "
                    "an API token that has the clinical scope. Codes: " + mapping.CODE_SYSTEM_BASE
                ),
                "resource": resources,
            }
        ],
    }
