from django.urls import path

from clinic.outbox import views

urlpatterns = [
    path("messages/failed/", views.failed_messages, name="failed_messages"),
]
