from django.urls import path

from notes import discharge_views, outcome_views, views

urlpatterns = [
    path("schedule/visits/<int:pk>/note/", views.note, name="visit_note"),
    path("schedule/visits/<int:pk>/note/open/", views.note_open, name="visit_note_open"),
    path("schedule/visits/<int:pk>/note/addenda/", views.addendum_add, name="visit_note_addendum"),
    path("schedule/visits/<int:pk>/note/measures/", views.note_measures, name="visit_note_measures"),
    path("schedule/visits/<int:pk>/note/plan-draft/", views.plan_draft, name="visit_note_plan_draft"),
    path("assessments/<int:pk>/progress-report/", views.progress_report, name="progress_report"),
    path("episodes/<int:pk>/plan-certification/", views.plan_certification, name="plan_certification"),
    path("episodes/<int:pk>/discharge/", discharge_views.discharge, name="episode_discharge"),
    path(
        "episodes/<int:pk>/discharge/stopped-attending/",
        discharge_views.lapsed_discharge,
        name="lapsed_discharge",
    ),
    path("discharge-documents/<int:pk>/", discharge_views.discharge_document, name="discharge_document"),
    path("schedule/lapsed/", discharge_views.lapsed_list, name="lapsed_episodes"),
    path("follow-up/<str:token>/", discharge_views.follow_up_answer, name="follow_up_answer"),
]

urlpatterns += [
    path("outcomes/", outcome_views.outcome_page, name="clinic_outcomes"),
    path("outcomes.csv", outcome_views.outcome_page, {"csv_export": True}, name="clinic_outcomes_csv"),
]
