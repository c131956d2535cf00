from django.db import migrations


def seed_groundedness_forms(apps, schema_editor):
    """The groundedness forms (annotation/form_seeds.py after FORMS_AT_0003), version 1 of each, published."""
    from annotation.form_seeds import FORMS, FORMS_AT_0003, install

    models = {name: apps.get_model("annotation", name) for name in ("RatingForm", "FormVersion", "Question")}
    shipped = {f["slug"] for f in FORMS_AT_0003}
    for spec in FORMS:
        if spec["slug"] not in shipped:
            install(spec, **models)


class Migration(migrations.Migration):
    dependencies = [("annotation", "0004_groundedness")]

    operations = [migrations.RunPython(seed_groundedness_forms, migrations.RunPython.noop)]
