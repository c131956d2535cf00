from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from frontend.demo import DEMO_ADMIN, DEMO_ADMIN_PASSWORD, DEMO_WORKER_PASSWORD, DEMO_WORKERS, demo_seed


class Command(BaseCommand):
    help = "Seed the demo quality campaign and demo accounts (idempotent), and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", required=True, help="exported tiny checkpoint folder for the local model")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the demo is served (printed)")

    def handle(self, *args, checkpoint: str, url: str, **options):
        folder = Path(checkpoint)
        missing = [name for name in ("config.json", "model.safetensors") if not (folder / name).is_file()]
        if missing:
            raise CommandError(
                f"{checkpoint} is not an exported checkpoint (no {' or '.join(missing)} there): pass the export folder "
                "of a trainer run, e.g. `python -m training.train --preset tiny --out var/checkpoints/tiny` writes "
                "var/checkpoints/tiny/export"
            )
        seed = demo_seed(checkpoint_path=str(folder.resolve()))
        out = self.stdout.write
        names = f"'{seed.campaign.name}', '{seed.safety_campaign.name}' and '{seed.groundedness_campaign.name}'"
        out(self.style.SUCCESS(f"Demo campaigns {names} ready, chatting with {checkpoint}"))
        out(f"  Web UI:          {url}")
        out(f"  Admin (review):  {url}admin/   user '{DEMO_ADMIN}' password '{DEMO_ADMIN_PASSWORD}'")
        out(f"  Crowdworkers:    {', '.join(DEMO_WORKERS)}   password '{DEMO_WORKER_PASSWORD}'")
        out(f"  API docs:        {url}api/docs/   admin token: {seed.admin_token}")
        out("  Try: log in as worker1 and chat; then log in as worker2..worker6 to rate worker1's chat.")
        out("  Safety: worker1 red-teams in 'Demo safety campaign' (flag a reply to stop at 5 exchanges);")
        out("          worker2..worker4 rate it on every safety objective (a content warning comes first).")
        out("  Groundedness: worker1 asks about facts in 'Demo groundedness campaign'; worker2..worker4 check the")
        out("          claims; worker5 researches and rewrites at My tasks -> Research; worker2..worker4 judge it.")
