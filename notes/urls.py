from django.urls import path

from notes import views

urlpatterns = [
    path("schedule/visits/<int:pk>/note/", views.note, name="visit_note"),
    path("schedule/visits/<int:pk>/note/open/", views.note_open, name="visit_note_open"),
    path("schedule/visits/<int:pk>/note/addenda/", views.addendum_add, name="visit_note_addendum"),
    path("schedule/visits/<int:pk>/note/measures/", views.note_measures, name="visit_note_measures"),
    path("schedule/visits/<int:pk>/note/plan-draft/", views.plan_draft, name="visit_note_plan_draft"),
    path("assessments/<int:pk>/progress-report/", views.progress_report, name="progress_report"),
    path("episodes/<int:pk>/plan-certification/", views.plan_certification, name="plan_certification"),
]
