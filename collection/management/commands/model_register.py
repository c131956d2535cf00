"""`python manage.py model_register <export dir>`: make a model exported by the trainer a `local` model endpoint
that campaigns can chat with (docs/export.md). Checks the export first (config, tokenizer and weights checksums,
finite weights), so a broken folder is refused here with one line instead of failing every chat later."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from collection.models import Campaign, ModelEndpoint


class Command(BaseCommand):
    help = "Register a trainer export (model.safetensors + config.json + tokenizer/) as a local model endpoint."

    def add_arguments(self, parser) -> None:
        parser.add_argument("export_dir", help="the export folder (e.g. runs/my-run/export)")
        parser.add_argument("--name", help="endpoint name (default: <model_id>-step<step>)")
        parser.add_argument("--update", action="store_true", help="point an existing endpoint of that name here")
        parser.add_argument("--campaign", action="append", default=[], help="also make these campaigns use it")

    def handle(self, *args, **o) -> None:
        from training.errors import TrainInputError
        from training.inference.export import check_export_tokenizer, read_export_config, read_export_weights

        path = Path(o["export_dir"]).expanduser().resolve()
        try:
            config = read_export_config(path)
            check_export_tokenizer(path, config)
            read_export_weights(path, config)  # sha256 against config.json, and no NaN / inf
        except TrainInputError as exc:
            raise CommandError(str(exc)) from None
        name = o["name"] or f"{config.model_id}-step{config.step}"[:100]
        campaigns = list(Campaign.objects.filter(slug__in=o["campaign"]))
        missing = sorted(set(o["campaign"]) - {c.slug for c in campaigns})
        if missing:
            raise CommandError(f"No campaign named {', '.join(missing)}.")
        existing = ModelEndpoint.objects.filter(name=name).first()
        if existing and not o["update"]:
            raise CommandError(f"An endpoint named '{name}' exists; pass --update to point it here or --name.")
        endpoint = existing or ModelEndpoint(name=name, backend=ModelEndpoint.Backend.LOCAL)
        endpoint.backend, endpoint.checkpoint_path = ModelEndpoint.Backend.LOCAL, str(path)
        endpoint.model_name = config.model_id
        try:
            endpoint.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        with transaction.atomic():
            endpoint.save()
            for campaign in campaigns:
                campaign.model_endpoint = endpoint
                campaign.save(update_fields=["model_endpoint"])
        verb = "updated" if existing else "registered"
        self.stdout.write(
            self.style.SUCCESS(
                f"endpoint '{endpoint.name}' {verb}: local model {config.model_id} {config.model_version} (step "
                f"{config.step}) from {path}"
            )
        )
        for campaign in campaigns:
            self.stdout.write(f"  campaign '{campaign.slug}' now chats with it")
