from django.db import migrations, models


def readable_library(apps, schema_editor):
    """Seeded texts still exactly as shipped with the reference's section codes and source ids get the reader's
    wording (citations, "clinic default"); a clinic's own edits are left alone."""
    from plans import library

    shipped = (
        ("Intervention", library.CITED_INTERVENTIONS, library.INTERVENTIONS),
        ("PlanRule", library.CITED_PLAN_RULES, library.PLAN_RULES),
        ("Contraindication", library.CITED_CONTRAINDICATIONS, library.CONTRAINDICATIONS),
    )
    for model_name, cited_entries, readable_entries in shipped:
        model = apps.get_model("plans", model_name)
        columns = {field.name for field in model._meta.get_fields()}
        for cited, readable in zip(cited_entries, readable_entries, strict=True):
            for name in columns & set(vars(cited)):
                old, new = getattr(cited, name), getattr(readable, name)
                if old == new:
                    continue
                if isinstance(old, tuple):
                    old, new = list(old), list(new)
                model.objects.filter(key=cited.key, **{name: old}).update(**{name: new})
    _readable_drafts(apps, _rewordings(shipped))


def _rewordings(shipped) -> dict[str, str]:
    """Each shipped text with internal references -> its reader's wording."""
    rewordings = {}
    for _, cited_entries, readable_entries in shipped:
        for cited, readable in zip(cited_entries, readable_entries, strict=True):
            for name, old in vars(cited).items():
                new = getattr(readable, name)
                if isinstance(old, tuple):
                    rewordings.update((a, b) for a, b in zip(old, new, strict=True) if a != b and isinstance(a, str))
                elif isinstance(old, str) and old != new:
                    rewordings[old] = new
    return rewordings


def _readable_drafts(apps, rewordings: dict[str, str]) -> None:
    """Drafts copy rule notes, advice and contraindication reasons when generated; signed versions are history
    and keep theirs."""
    TreatmentPlan = apps.get_model("plans", "TreatmentPlan")
    for plan in TreatmentPlan.objects.filter(status="draft"):

        def reword(text):
            return rewordings.get(text, text) if isinstance(text, str) else text

        notes = [reword(text) for text in plan.clinician_notes]
        advice = [reword(text) for text in plan.running_advice]
        excluded = [
            {**entry, "reason": reword(entry["reason"])} if isinstance(entry, dict) and "reason" in entry else entry
            for entry in plan.excluded
        ]
        if (notes, advice, excluded) != (plan.clinician_notes, plan.running_advice, plan.excluded):
            plan.clinician_notes, plan.running_advice, plan.excluded = notes, advice, excluded
            plan.save(update_fields=["clinician_notes", "running_advice", "excluded"])


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0010_contraindication_reasons_in_plain_words"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name=model_name, name="source", field=models.CharField(blank=True, max_length=600)
            )
            for model_name in ("intervention", "planrule", "contraindication")
        ),
        migrations.RunPython(readable_library, migrations.RunPython.noop),
    ]
