from django.urls import path

from assessments import measure_views, views

urlpatterns = [
    path("episodes/<int:episode_pk>/assessments/new/", views.assessment_start, name="assessment_start"),
    path("episodes/<int:episode_pk>/progress/", views.episode_progress, name="episode_progress"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/reopen/", views.assessment_reopen, name="assessment_reopen"),
    path("assessments/<int:pk>/findings/add/", views.finding_add, name="finding_add"),
    path("findings/<int:pk>/dismiss/", views.finding_dismiss, name="finding_dismiss"),
    path("findings/<int:pk>/restore/", views.finding_restore, name="finding_restore"),
]
urlpatterns += [
    path("assessments/<int:pk>/measures/", measure_views.assessment_measures, name="assessment_measures"),
]
