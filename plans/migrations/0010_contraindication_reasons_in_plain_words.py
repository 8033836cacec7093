from django.db import migrations

# The seeded contraindication reasons as first shipped, with citations of the clinic's reference that the
# clinician should not read on a page: replaced by the shipped plain wording where a clinic has not edited them.
CITED_REASONS = {
    "emergency-red-flag": (
        "An emergency red flag is open: plan generation and all manual therapy are blocked (DOMAIN A 'Red "
        "flags'; B6.2)."
    ),
    "urgent-red-flag": (
        "An urgent red flag is open: spinal manipulation is blocked until a clinician records medical "
        "clearance (DOMAIN A 'Red flags'; B6.2)."
    ),
    "manipulation-absolute-red-flag": (
        "A red flag matching an absolute contraindication to manipulation (infection, malignancy, fragility "
        "fracture / severe osteoporosis) is open: no lumbar, SI or hip thrust (DOMAIN B7.2; B7.5)."
    ),
    "radicular-hamstring-stretch": (
        "Positive SLR / slump or radicular leg pain: tensioning an irritated nerve can increase radiating "
        "symptoms; use gentle nerve glides instead (DOMAIN B7.5, weak; Part A: stretching the hamstring "
        "aggravates sciatica)."
    ),
    "radicular-thrust-relative": (
        "Disc herniation with radicular syndrome is a relative contraindication to thrust manipulation: "
        "acknowledge before adding it (DOMAIN A 'Manipulation'; B7.2)."
    ),
    "gluteal-tendinopathy-compression": (
        "Gluteal tendinopathy: hip adduction compresses the gluteal tendons against the greater trochanter; "
        "no ITB stretches, crossed-leg / adducted piriformis stretches or deep pressure over the trochanter "
        "(DOMAIN B7.5, moderate; B7.3)."
    ),
    "fai-deep-flexion-adduction": (
        "Suspected FAI: deep end-range hip flexion stretches with adduction / internal rotation can provoke "
        "impingement (DOMAIN B7.5, unverified)."
    ),
}


def plain_reasons(apps, schema_editor):
    from plans import library

    Contraindication = apps.get_model("plans", "Contraindication")
    for key, cited in CITED_REASONS.items():
        Contraindication.objects.filter(key=key, reason=cited).update(
            reason=library.CONTRAINDICATIONS_BY_KEY[key].reason
        )


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0009_sided_wording_for_the_patient"),
    ]

    operations = [
        migrations.RunPython(plain_reasons, migrations.RunPython.noop),
    ]
