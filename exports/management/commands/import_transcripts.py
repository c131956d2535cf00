"""`python manage.py import_transcripts FILE --campaign slug --speaker User=human --speaker Bot=model`: existing
transcripts become finished chat sessions of the campaign, rated like live chats (docs/import.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.services.transcript_import import transcripts_import
from exports.spec import ExportInputError


class Command(BaseCommand):
    help = "Import transcripts (JSONL or ParlAI Conversations JSONL) as finished chat sessions of a campaign."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the transcript file (UTF-8, one dialog per line)")
        parser.add_argument("--campaign", required=True, help="campaign slug")
        parser.add_argument("--format", default="jsonl", help="jsonl (default) or parlai")
        parser.add_argument("--speaker", action="append", default=[], metavar="NAME=ROLE",
                            help="map a speaker name of the file to human or model (both needed)")  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="check and report, import nothing")

    def handle(self, *args, **o) -> None:
        speakers = {}
        for item in o["speaker"]:
            name, sep, role = item.rpartition("=")
            if not sep or not name:
                raise CommandError(f"--speaker '{item}' must look like NAME=human or NAME=model")
            speakers[name] = role
        path = Path(o["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            batch, plan = transcripts_import(
                campaign_slug=o["campaign"], raw=raw, fmt=o["format"], speakers=speakers, source_name=path.name,
                dry_run=o["dry_run"],
            )  # fmt: skip
        except ExportInputError as exc:
            raise CommandError(exc.message) from None
        verb = "would import" if o["dry_run"] else "imported"
        count = len(plan.ok) if batch is None else batch.imported
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} dialogs into '{o['campaign']}'"))
        if plan.problems:
            self.stdout.write(f"{len(plan.problems)} dialogs not imported:")
            for p in plan.problems:
                self.stdout.write(f"  line {p.line}{' (' + p.dialog + ')' if p.dialog else ''}: {p.reason}")
