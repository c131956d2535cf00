from django.db import migrations


def seed_groundedness_forms(apps, schema_editor):
    """The groundedness forms (annotation/form_seeds.py after FORMS_AT_0003), version 1 of each, published."""
    from django.utils import timezone

    from annotation.form_seeds import FORMS, FORMS_AT_0003

    RatingForm = apps.get_model("annotation", "RatingForm")
    FormVersion = apps.get_model("annotation", "FormVersion")
    Question = apps.get_model("annotation", "Question")
    shipped = {f["slug"] for f in FORMS_AT_0003}
    for spec in FORMS:
        if spec["slug"] in shipped:
            continue
        form, _ = RatingForm.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "kind": spec["kind"],
                "rule": spec["rule"],
                "shows_toolset": spec.get("shows_toolset", False),
            },
        )
        version, created = FormVersion.objects.get_or_create(
            form=form, number=1, defaults={"note": "shipped with the platform", "published_at": timezone.now()}
        )
        if created:
            for position, q in enumerate(spec["questions"]):
                Question.objects.create(version=version, position=position, **q)


class Migration(migrations.Migration):
    dependencies = [("annotation", "0004_groundedness")]

    operations = [migrations.RunPython(seed_groundedness_forms, migrations.RunPython.noop)]
