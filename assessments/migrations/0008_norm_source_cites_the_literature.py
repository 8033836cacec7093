from django.db import migrations

# The default norm set's source as first shipped, with the reference's source id instead of the citation.
CITED_AAOS_SOURCE = "AAOS (S20)"
READABLE_AAOS_SOURCE = "AAOS normal hip ROM (Goniometer.io)"


def readable_norm_source(apps, schema_editor):
    """Findings keep the norm's source in their evidence details ("12° (norm 30°, AAOS (S20))")."""
    Finding = apps.get_model("assessments", "Finding")
    for finding in Finding.objects.filter(evidence__icontains=CITED_AAOS_SOURCE):
        finding.evidence = [
            {**item, "detail": item["detail"].replace(CITED_AAOS_SOURCE, READABLE_AAOS_SOURCE)}
            if isinstance(item, dict) and isinstance(item.get("detail"), str)
            else item
            for item in finding.evidence
        ]
        finding.save(update_fields=["evidence"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_rom_position_device"),
    ]

    operations = [
        migrations.RunPython(readable_norm_source, migrations.RunPython.noop),
    ]
