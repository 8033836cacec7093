from django.urls import path

from running import portal_views

# The clinician's pages (under the site root).
urlpatterns: list = []

# The runner's pages, under the patient portal's link ("portal/<token>/...").
portal_urlpatterns: list = []

# The runner's run log.
portal_urlpatterns += [
    path("<str:token>/runs/", portal_views.runs, name="portal_runs"),
    path("<str:token>/runs/<int:run_id>/", portal_views.run, name="portal_run"),
    path("<str:token>/runs/<int:run_id>/morning/", portal_views.run_morning, name="portal_run_morning"),
]
