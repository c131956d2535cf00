from django.core.management.base import BaseCommand, CommandError

from collection import backends
from collection.models import ModelEndpoint


class Command(BaseCommand):
    help = "Send one message to a model endpoint through its backend; print reply, version and latency."

    def add_arguments(self, parser):
        parser.add_argument("endpoint", help="ModelEndpoint name")
        parser.add_argument("--message", default="Hi! How are you today?")

    def handle(self, *args, endpoint, message, **options):
        row = ModelEndpoint.objects.filter(name=endpoint).first()
        if row is None:
            names = ", ".join(ModelEndpoint.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no model endpoint named {endpoint!r} (known: {names})")
        try:
            reply = backends.backend_for(row).generate([backends.Utterance("human", message)])
        except backends.BackendError as exc:
            raise CommandError(f"{row.name}: {exc.message}") from exc
        self.stdout.write(f"{row.name} ({row.backend}) model={reply.model_id} version={reply.model_version}")
        self.stdout.write(f"latency {reply.latency_ms} ms, sampling {reply.sampling}")
        self.stdout.write(f"reply: {reply.text}")
