from django.urls import path

from running import cadence_views

# The clinician's pages (under the site root).
urlpatterns: list = [
    path("episodes/<int:pk>/cadence/", cadence_views.prescribe, name="cadence_prescribe"),
    path("episodes/<int:pk>/cadence/stop/", cadence_views.stop, name="cadence_stop"),
]

# The runner's pages, under the patient portal's link ("portal/<token>/...").
portal_urlpatterns: list = []
