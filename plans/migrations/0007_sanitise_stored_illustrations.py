from django.db import migrations


def sanitise(apps, schema_editor):
    from plans import illustrations

    illustrations.sanitise_stored(apps.get_model("plans", "Intervention"))


class Migration(migrations.Migration):
    dependencies = [("plans", "0006_illustration_checked_picture")]

    operations = [migrations.RunPython(sanitise, migrations.RunPython.noop)]
