"""The project's URLs plus one endpoint whose shape nothing documents: the urlconf that shows
the schema check refusing such an endpoint (tests/clinic/test_api_schema.py)."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.urls import urlpatterns as project_urlpatterns


class UndocumentedView(APIView):
    def get(self, request):
        return Response({"shape": "unknown"})


urlpatterns = [path("api/undocumented/", UndocumentedView.as_view()), *project_urlpatterns]
