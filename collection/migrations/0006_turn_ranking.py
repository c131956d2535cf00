from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collection", "0005_campaign_help"),
    ]

    operations = [
        migrations.AddField(
            model_name="turn",
            name="ranking",
            field=models.JSONField(
                blank=True,
                db_default={},
                default=dict,
                help_text="model turns: why this reply won: every sampled candidate with its scores, the dropped ones "
                "and why, the research steps (docs/inference.md); empty when the backend reports none",
            ),
        ),
    ]
