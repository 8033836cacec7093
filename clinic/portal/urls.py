from django.urls import path

from clinic.portal import views

urlpatterns = [
    path("<str:token>/", views.home, name="portal_home"),
]
