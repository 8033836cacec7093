from django.urls import path

from clinic.portal import views

urlpatterns = [
    path("<str:token>/", views.home, name="portal_home"),
    path("<str:token>/logo/", views.clinic_logo, name="portal_logo"),
    path("<str:token>/programs/<int:version_id>/", views.program, name="portal_program"),
    path("<str:token>/programs/<int:version_id>/home-program.pdf", views.handout_download, name="portal_handout"),
    path("<str:token>/programs/<int:version_id>/log/", views.check_in, name="portal_check_in"),
    path("<str:token>/visits/<int:visit_id>/cancel/", views.visit_cancel, name="portal_visit_cancel"),
    path("<str:token>/visits/<int:visit_id>/move/", views.visit_reschedule, name="portal_visit_reschedule"),
]
