from django.core.files.storage import default_storage
from django.db import migrations


def recheck_logos(apps, schema_editor):
    from clinic.stored_logos import rechecked

    Clinic = apps.get_model("clinic", "Clinic")
    for clinic in Clinic.objects.exclude(logo="").only("pk", "logo"):
        name = rechecked(clinic.logo.name, default_storage)
        if name != clinic.logo.name:
            Clinic.objects.filter(pk=clinic.pk).update(logo=name)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0020_clinic_logo_png_jpeg_random_name"),
    ]

    operations = [
        migrations.RunPython(recheck_logos, migrations.RunPython.noop),
    ]
