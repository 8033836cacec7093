from django.urls import path, re_path

from clinic.fhir import selectors, views

_TYPES = "|".join(selectors.RESOURCE_TYPES)

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    # At most 18 digits: a longer number is no database id (and would overflow the query).
    re_path(r"^Patient/(?P<pk>[0-9]{1,18})/\$everything$", views.EverythingView.as_view(), name="fhir-everything"),
    re_path(r"^Binary/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.BinaryView.as_view(), name="fhir-binary"),
    # FHIR ids: letters, digits, "-" and ".", up to 64 characters.
    re_path(
        rf"^(?P<resource_type>{_TYPES})/(?P<resource_id>[A-Za-z0-9\-.]{{1,64}})$",
        views.ReadView.as_view(),
        name="fhir-read",
    ),
    re_path(r"^(?P<rest>.*)$", views.UnknownView.as_view(), name="fhir-unknown"),
]
