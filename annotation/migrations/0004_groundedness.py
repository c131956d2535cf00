import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_item_form(apps, schema_editor):
    """Every existing item's form is its form version's form."""
    schema_editor.execute(
        "UPDATE annotation_ratingitem i SET form_id = v.form_id FROM annotation_formversion v"
        " WHERE v.id = i.form_version_id AND i.form_id IS NULL"
    )


class Migration(migrations.Migration):
    """Groundedness (docs/groundedness.md): a turn gets one rating item per form (its campaign's form, evaluation
    forms, correct / incorrect after research) instead of one item; forms can offer the toolset on the rating page."""

    dependencies = [
        ("annotation", "0003_rating_forms"),
        ("collection", "0007_groundedness"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ratingform",
            name="shows_toolset",
            field=models.BooleanField(
                db_default=False, default=False, help_text="the rating page offers the toolset (checking claims)"
            ),
        ),
        migrations.AddField(
            model_name="ratingitem",
            name="form",
            field=models.ForeignKey(
                help_text="form_version's form",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="annotation.ratingform",
            ),
        ),
        migrations.RunPython(fill_item_form, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ratingitem",
            name="form",
            field=models.ForeignKey(
                help_text="form_version's form",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="annotation.ratingform",
            ),
        ),
        migrations.AddField(
            model_name="ratingitem",
            name="rewrite",
            field=models.ForeignKey(
                blank=True,
                help_text="groundedness correct / incorrect: the rewritten reply judged instead of the turn's text",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rating_items",
                to="collection.rewrite",
            ),
        ),
        migrations.AlterField(
            model_name="ratingform",
            name="kind",
            field=models.CharField(
                help_text="the campaign kind it is for (quality, safety, groundedness), or 'evaluation' for a form "
                "any campaign can add",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="ratingitem",
            name="chatter",
            field=models.ForeignKey(
                help_text="whose work is judged, never a rater of it: the chatter (the rewriter for correct / "
                "incorrect)",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ratingitem",
            name="turn",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="rating_items", to="collection.turn"
            ),
        ),
        migrations.AddConstraint(
            model_name="ratingitem",
            constraint=models.UniqueConstraint(
                fields=("turn", "form"),
                name="ratingitem_one_per_turn_form",
                violation_error_message="This reply already has a rating item for this form.",
            ),
        ),
    ]
