from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "clinic.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
