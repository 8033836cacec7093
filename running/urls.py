from django.urls import path

from running import cadence_views, phase_views, portal_views, readiness_views, upload_views

# The clinician's pages (under the site root).
urlpatterns: list = [
    path("episodes/<int:pk>/cadence/", cadence_views.prescribe, name="cadence_prescribe"),
    path("episodes/<int:pk>/cadence/stop/", cadence_views.stop, name="cadence_stop"),
    path("episodes/<int:pk>/return-to-run-checks/new/", readiness_views.check_new, name="readiness_check_new"),
    path("return-to-run-checks/<int:pk>/", readiness_views.check_detail, name="readiness_check_detail"),
    path("settings/return-to-run-criteria/", readiness_views.criteria, name="readiness_criteria"),
    path("return-to-run/decisions/<int:pk>/confirm/", phase_views.confirm, name="return_to_run_confirm"),
    path("return-to-run/<int:pk>/decide/", phase_views.override, name="return_to_run_override"),
]

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
# The runner's run log.
portal_urlpatterns += [
    path("<str:token>/runs/", portal_views.runs, name="portal_runs"),
    path("<str:token>/runs/<int:run_id>/", portal_views.run, name="portal_run"),
    path("<str:token>/runs/<int:run_id>/morning/", portal_views.run_morning, name="portal_run_morning"),
]
