"""Index a JSONL corpus (url, title, text per line) for the platform's toolset, with a progress bar."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from toolset.indexing import index_corpus
from toolset.retrieval import CorpusError


class Command(BaseCommand):
    help = "Index a JSONL corpus into LAMDA_TOOLSET_INDEX (tantivy) or, with --opensearch, into OpenSearch."

    def add_arguments(self, parser):
        parser.add_argument("corpus", help="JSONL file, one {url, title, text} object per line")
        parser.add_argument("--index-dir", default=None, help="default: settings.LAMDA_TOOLSET_INDEX")
        parser.add_argument("--opensearch", action="store_true", help="use LAMDA_TOOLSET_OPENSEARCH_URL")
        parser.add_argument("--replace", action="store_true", help="delete the existing index first")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--record",
            metavar="NAME",
            help="record the build as a corpus index (admin: Corpus indexes) in a new folder; once ready the "
            "workbench's retrieval reads it and names it beside every result",
        )

    def handle(self, *args, **opts):
        if opts["record"]:
            return self._record(opts)
        url = getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_URL", "") if opts["opensearch"] else ""
        if opts["opensearch"] and not url:
            raise CommandError("--opensearch needs LAMDA_TOOLSET_OPENSEARCH_URL to be set")
        try:
            report = index_corpus(
                opts["corpus"],
                index_dir=opts["index_dir"] or settings.LAMDA_TOOLSET_INDEX,
                opensearch_url=url,
                opensearch_index=getattr(settings, "LAMDA_TOOLSET_OPENSEARCH_INDEX", "lamda-passages"),
                replace=opts["replace"],
                progress=not opts["no_progress"],
                stream=getattr(self.stderr, "_out", None),
            )
        except (CorpusError, FileNotFoundError, FileExistsError, IsADirectoryError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"indexed {report.passages} passages into {report.target} in {report.seconds:.2f}s "
            f"({report.per_second:.0f} passages/s); the index now holds {report.total_in_index}"
        )

    def _record(self, opts):
        from django.utils.text import slugify

        from collection.services.corpus import corpus_index_build, corpus_index_create
        from config.api_errors import ApplicationError

        name = slugify(opts["record"])[:100]
        if not name:
            raise CommandError("--record needs a name made of letters, digits or dashes, e.g. wiki-2026-12")
        corpus = os.path.abspath(opts["corpus"])
        try:
            build = corpus_index_create(name=name, corpus_path=corpus)
            stream = None if opts["no_progress"] else getattr(self.stderr, "_out", None) or sys.stderr
            build = corpus_index_build(index_id=build.pk, progress_stream=stream)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"indexed {build.total} passages as {build.label}; the workbench now searches it")
