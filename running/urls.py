from django.urls import path

from running import phase_views

# The clinician's pages (under the site root).
urlpatterns: list = []

# The runner's pages, under the patient portal's link ("portal/<token>/...").
portal_urlpatterns: list = []

urlpatterns += [
    path("return-to-run/decisions/<int:pk>/confirm/", phase_views.confirm, name="return_to_run_confirm"),
    path("return-to-run/<int:pk>/decide/", phase_views.override, name="return_to_run_override"),
]
