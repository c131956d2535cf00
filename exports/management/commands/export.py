"""`python manage.py export --campaign demo-quality --out var/exports/`: queue a dataset export (a Celery job) and
follow its progress; `--sync` runs it in this process instead (no worker needed). Thin: checks and writing live
in exports/services/."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from exports.manifest_source import count_rows
from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.services.queue import export_queue
from exports.spec import DEFAULT_REQUIRE, DEFAULT_WHERE_JUDGED, ExportInputError, ExportSpec, GenerativeFilter


def _attrs(value: str) -> tuple[str, ...]:
    return tuple(a.strip().upper() for a in value.split(",") if a.strip())


class Command(BaseCommand):
    help = "Export labelled data of campaigns as a dataset snapshot for the trainer (docs/export.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", action="append", required=True, help="campaign slug (repeat for several)")
        parser.add_argument("--out", required=True, help="folder that receives the snapshot folder")
        parser.add_argument("--name", help="snapshot folder name (default: <campaigns>-<time>)")
        parser.add_argument("--since", help="only sessions that ended at or after this date/time (ISO 8601)")
        parser.add_argument("--until", help="only sessions that ended before this date/time (ISO 8601)")
        parser.add_argument(
            "--rule-version",
            action="append",
            default=[],
            metavar="SLUG=VERSION",
            help="verdicts of this rule version (default: the campaign's current rule)",
        )
        parser.add_argument("--format", default="parquet", help="parquet (default) or jsonl")
        parser.add_argument("--val-share", type=float, default=0.05, help="share of sessions in validation")
        parser.add_argument("--shard-size", type=int, default=100_000, help="examples per data file")
        parser.add_argument(
            "--generative-require",
            default=",".join(DEFAULT_REQUIRE),
            help="attributes a reply must be judged good on to be a generative example",
        )
        parser.add_argument(
            "--generative-where-judged",
            default=",".join(DEFAULT_WHERE_JUDGED),
            help="attributes that must be good where judged (UNSAFE: judged safe)",
        )
        parser.add_argument("--no-generative", action="store_true", help="write no generative examples")
        parser.add_argument("--no-labels", action="store_true", help="leave out meta/labels.parquet")
        parser.add_argument("--sync", action="store_true", help="run here instead of in a Celery worker")
        parser.add_argument("--no-wait", action="store_true", help="queue and return (the admin shows progress)")

    def handle(self, *args, **o) -> None:
        rule_versions = {}
        for item in o["rule_version"]:
            slug, sep, version = item.partition("=")
            if not sep or not slug or not version:
                raise CommandError(f"--rule-version '{item}' must look like SLUG=VERSION")
            rule_versions[slug] = version
        spec = ExportSpec(
            campaigns=tuple(dict.fromkeys(o["campaign"])),
            since=o["since"],
            until=o["until"],
            rule_versions=rule_versions,
            format=o["format"],
            val_share=o["val_share"],
            shard_size=o["shard_size"],
            labels=not o["no_labels"],
            generative=GenerativeFilter(
                _attrs(o["generative_require"]), _attrs(o["generative_where_judged"]), not o["no_generative"]
            ),
        )
        try:
            job = export_create(spec=spec, out_root=o["out"], name=o["name"])
        except ExportInputError as exc:
            raise CommandError(exc.message) from None
        if o["sync"]:
            job = export_run(job.pk)
        else:
            job = self._queue_and_follow(job, wait=not o["no_wait"])
            if job.status not in (DatasetExport.Status.DONE, DatasetExport.Status.FAILED):
                return
        if job.status == DatasetExport.Status.FAILED:
            raise CommandError(f"export {job.pk} failed: {job.error}")
        self._report(job)

    def _queue_and_follow(self, job: DatasetExport, *, wait: bool) -> DatasetExport:
        if not export_queue(job):
            raise CommandError(
                "could not queue the export (the broker is unreachable); start Redis, or run with --sync to export in "
                "this process"
            )
        self.stdout.write(f"export {job.pk} queued -> {job.out_dir}")
        if not wait:
            return job
        hinted, started = False, time.monotonic()
        with tqdm(total=1, unit="turn", file=sys.stderr, desc=f"export {job.pk}") as bar:
            while True:
                job.refresh_from_db()
                if job.status == DatasetExport.Status.QUEUED and not hinted and time.monotonic() - started > 20:
                    hinted = True
                    bar.write(
                        "no worker has picked the export up yet: is a Celery worker running (celery -A config "
                        "worker)? It stays queued; Ctrl-C stops following, not the export."
                    )
                if job.progress_total and bar.total != job.progress_total:
                    bar.total = job.progress_total
                bar.n = job.progress_done
                bar.refresh()
                if job.status in (DatasetExport.Status.DONE, DatasetExport.Status.FAILED):
                    return job
                time.sleep(0.5)

    def _report(self, job: DatasetExport) -> None:
        counts = job.manifest["source"]["counts"]
        share = job.manifest["source"]["split"]["validation_share"]
        self.stdout.write(self.style.SUCCESS(f"snapshot written: {job.out_dir}"))
        for split, kind, detail in count_rows(counts):
            self.stdout.write(f"  {split:10s} {kind:15s} {detail}")
        if share > 0 and "validation" not in counts:
            self.stdout.write(
                f"note: no session fell in the validation split (share {share}); the trainer will then hold out a "
                "share of examples itself, so one dialog can be on both sides: raise --val-share or export more"
            )
