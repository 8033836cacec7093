from django.urls import path

from intake import views

urlpatterns = [
    path("<str:token>/", views.intake_start, name="intake_start"),
    path("<str:token>/step/<slug:step>/", views.intake_step, name="intake_step"),
    path("<str:token>/done/", views.intake_done, name="intake_done"),
]

staff_urlpatterns = [
    path("episodes/<int:episode_pk>/intake/", views.intake_summary, name="intake_summary"),
    path("episodes/<int:episode_pk>/intake/send/", views.invitation_send, name="intake_invitation_send"),
    path("episodes/<int:episode_pk>/intake/revoke/", views.invitation_revoke, name="intake_invitation_revoke"),
    path("red-flags/<int:pk>/clear/", views.red_flag_clear, name="red_flag_clear"),
]
