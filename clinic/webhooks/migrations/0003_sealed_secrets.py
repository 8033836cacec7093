"""The endpoints' signing secrets sealed at rest (clinic/webhooks/sealing.py): the columns are
renamed, the plain values already stored are sealed in place, and the checks now ask for a
sealed value. Backwards, the values are opened again."""

from django.db import migrations, models

from clinic.webhooks import sealing


def seal_stored(apps, schema_editor):
    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in endpoints.objects.all():
        endpoint.sealed_secret = sealing.seal(endpoint.sealed_secret)
        endpoint.sealed_previous_secret = sealing.seal(endpoint.sealed_previous_secret)
        endpoint.save(update_fields=["sealed_secret", "sealed_previous_secret"])


def open_stored(apps, schema_editor):
    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in endpoints.objects.all():
        endpoint.sealed_secret = sealing.unseal(endpoint.sealed_secret)
        endpoint.sealed_previous_secret = sealing.unseal(endpoint.sealed_previous_secret)
        endpoint.save(update_fields=["sealed_secret", "sealed_previous_secret"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_previous_secret")]

    operations = [
        migrations.RemoveConstraint(model_name="webhookendpoint", name="webhook_endpoint_secret"),
        migrations.RemoveConstraint(model_name="webhookendpoint", name="webhook_endpoint_previous_secret"),
        migrations.RenameField(model_name="webhookendpoint", old_name="secret", new_name="sealed_secret"),
        migrations.RenameField(
            model_name="webhookendpoint", old_name="previous_secret", new_name="sealed_previous_secret"
        ),
        migrations.AlterField(
            model_name="webhookendpoint", name="sealed_secret", field=models.CharField(max_length=250)
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="sealed_previous_secret",
            field=models.CharField(blank=True, max_length=250),
        ),
        migrations.RunPython(seal_stored, open_stored),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.CheckConstraint(
                condition=models.Q(sealed_secret__startswith="gAAAAA"), name="webhook_endpoint_secret_sealed"
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.CheckConstraint(
                condition=models.Q(sealed_previous_secret="", previous_secret_until__isnull=True)
                | models.Q(sealed_previous_secret__startswith="gAAAAA", previous_secret_until__isnull=False),
                name="webhook_endpoint_previous_secret_sealed",
            ),
        ),
    ]
