from django.urls import path

from running import upload_views

# The clinician's pages (under the site root).
urlpatterns: list = []

# The runner's pages, under the patient portal's link ("portal/<token>/...").
portal_urlpatterns: list = []

# Device files (running/upload_views.py).
urlpatterns += [
    path("run-files/<int:pk>/decide/", upload_views.decide_duplicate, name="run_file_decide"),
]
portal_urlpatterns += [
    path("<str:token>/runs/upload/", upload_views.upload, name="portal_run_upload"),
    path("<str:token>/runs/uploads/<int:upload_id>/", upload_views.upload_status, name="portal_run_upload_status"),
]
