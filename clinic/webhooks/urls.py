from django.urls import path

from clinic.webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.webhook_list, name="webhook_list"),
    path("settings/webhooks/new/", views.webhook_create, name="webhook_create"),
    path("settings/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/rotate-secret/", views.webhook_rotate, name="webhook_rotate"),
    path("settings/webhooks/<int:pk>/disable/", views.webhook_disable, name="webhook_disable"),
    path("settings/webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("settings/webhooks/<int:pk>/ping/", views.webhook_ping, name="webhook_ping"),
    path("settings/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
        views.delivery_retry,
        name="webhook_delivery_retry",
    ),
]
