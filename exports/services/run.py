"""Run one export job: read one database snapshot, stream the examples into a snapshot folder, record the result.
Safe to run again (a retried or redelivered job): a done job is left alone, a killed run's partial folder is
removed first, and the same job over the same data writes the same bytes (docs/export.md)."""

from __future__ import annotations

import errno
import logging
from collections import Counter
from datetime import UTC
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import F
from django.utils import timezone

from annotation.forms import form_for_campaign
from annotation.models import FormVersion
from collection.models import Campaign
from exports.build import Batch, build_examples
from exports.identity import Pseudonyms, in_validation
from exports.manifest_source import source_dict
from exports.models import DatasetExport
from exports.panel_ids import panel_ids_read, with_panel_ids
from exports.producers import PRODUCERS
from exports.reader import (
    LABEL_COLUMNS,
    Scope,
    label_rows_sql,
    scalar_rows,
    snapshot_connection,
    stream,
    try_job_lock,
    turn_columns,
    turn_rows_sql,
)
from exports.spec import ExportInputError, ExportSpec, parse_time
from exports.writer import SnapshotWriter
from training.format.specials import DatasetError

logger = logging.getLogger(__name__)
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def export_run(export_id: int) -> DatasetExport:
    """Run the job unless it is done or another process runs it now (it holds the job's advisory lock, on the
    connection that reads the snapshot: a killed worker's connection closes and frees it, docs/export.md)."""
    job = DatasetExport.objects.get(pk=export_id)
    if job.status == DatasetExport.Status.DONE:
        return job
    try:
        with snapshot_connection() as conn:
            if not try_job_lock(conn, job.pk):
                logger.info("export %s is being written by another worker; not started twice", job.pk)
                return job
            DatasetExport.objects.filter(pk=job.pk).update(
                status=DatasetExport.Status.RUNNING,
                attempts=F("attempts") + 1,
                started_at=timezone.now(),
                error="",
                progress_done=0,
            )
            manifest = _write(conn, job, ExportSpec.from_json(job.spec))
            DatasetExport.objects.filter(pk=job.pk).update(
                status=DatasetExport.Status.DONE, manifest=manifest, finished_at=timezone.now()
            )
    except (ExportInputError, DatasetError) as exc:
        return _fail(job, getattr(exc, "message", str(exc)))
    except OSError as exc:
        why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        return _fail(
            job,
            f"Could not write the snapshot to {job.out_dir}: {why}. Nothing was left behind; fix it and export again.",
        )
    job.refresh_from_db()
    logger.info("export %s done: %s", job.pk, job.out_dir)
    return job


def _fail(job: DatasetExport, message: str) -> DatasetExport:
    logger.warning("export %s failed: %s", job.pk, message)
    DatasetExport.objects.filter(pk=job.pk).update(
        status=DatasetExport.Status.FAILED, error=message, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _plans(conn, job: DatasetExport, spec: ExportSpec) -> list[tuple[Campaign, Scope, str, list]]:
    since, until = parse_time(spec.since, "--since"), parse_time(spec.until, "--until")
    plans = []
    for campaign in Campaign.objects.filter(slug__in=spec.campaigns).order_by("slug"):
        scope = Scope(campaign.pk, job.cutoff, since, until, form_for_campaign(campaign).form_id)
        version = spec.rule_versions[campaign.slug]
        attrs = [
            r[0]
            for r in scalar_rows(
                conn,
                "SELECT DISTINCT g.attribute FROM annotation_aggregate g"
                " JOIN annotation_ratingitem i ON i.id = g.item_id"
                " WHERE i.campaign_id = %s AND g.rule_version = %s ORDER BY 1",
                [campaign.pk, version],
            )
        ]
        plans.append((campaign, scope, version, PRODUCERS[campaign.kind].columns(tuple(attrs))))
    return plans


def _progress_total(conn, plans) -> int:
    total = 0
    for _, scope, _, _ in plans:
        where, params = scope.session_where()
        total += scalar_rows(
            conn, f"SELECT coalesce(sum(s.turn_count), 0) FROM collection_chatsession s WHERE {where}", params
        )[0][0]
    return int(total)


def _as_of(conn, plans) -> str | None:
    """The newest session end among what was exported: the data's own time, so that exporting unchanged data
    again writes the same manifest."""
    newest = None
    for _, scope, _, _ in plans:
        where, params = scope.session_where()
        value = scalar_rows(conn, f"SELECT max(s.ended_at) FROM collection_chatsession s WHERE {where}", params)[0][0]
        newest = value if newest is None or (value and value > newest) else newest
    return newest.astimezone(UTC).strftime(STAMP) if newest else None


def _write(conn, job: DatasetExport, spec: ExportSpec) -> dict:
    out = Path(job.out_dir)
    if out.exists():
        raise ExportInputError(f"{out} already exists; snapshots are never overwritten, choose another name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    names = Pseudonyms()
    counts: Counter = Counter()
    summaries = []
    with SnapshotWriter(out, fmt=spec.format, shard_size=spec.shard_size) as writer:
        plans = _plans(conn, job, spec)
        DatasetExport.objects.filter(pk=job.pk).update(progress_total=_progress_total(conn, plans))
        done = 0
        for campaign, scope, version, columns in plans:
            summary = {
                "slug": campaign.slug,
                "kind": campaign.kind,
                "rule_version": version,
                "sessions": 0,
                "judged_replies": 0,
            }
            form_versions: set[int] = set()
            sql, params = turn_rows_sql(scope, version, [c.verdict_attribute for c in columns])
            split = lambda s: in_validation(s, spec.val_share)  # noqa: E731
            panel = panel_ids_read(conn, scope)  # before the COPY: the connection is busy during it
            for rows in stream(conn, sql, params, turn_columns(len(columns)), align="session"):
                batch = Batch.from_table(rows, len(columns))
                for (side, kind), table in sorted(build_examples(batch, columns, spec.generative, split).items()):
                    writer.write(side, kind, table)
                    _count(counts, side, kind, table)
                sessions = with_panel_ids(panel, _sessions_table(rows, campaign.slug, names, split))
                writer.write_meta("sessions", sessions)
                judged = rows.column("form_version").drop_null()
                form_versions.update(pc.unique(judged).to_pylist())
                summary["sessions"] += sessions.num_rows
                summary["judged_replies"] += len(judged)
                done += rows.num_rows
                DatasetExport.objects.filter(pk=job.pk).update(progress_done=done)
            for (side, kind), table in sorted(PRODUCERS[campaign.kind].extra_examples(conn, scope, split).items()):
                writer.write(side, kind, table)  # groundedness: research steps and GROUNDED (their own rows)
                _count(counts, side, kind, table)
            if spec.labels:
                for rows in stream(conn, *label_rows_sql(scope), LABEL_COLUMNS):
                    writer.write_meta("labels", _labels_table(rows, campaign.slug, names))
            summary["form_versions"] = sorted(
                str(FormVersion.objects.select_related("form").get(pk=v).label) for v in form_versions
            )
            summaries.append(summary)
        if not counts:
            judged = ", ".join(f"{s['slug']} ({s['rule_version']})" for s in summaries)
            window = "".join(
                f" {flag} {value}" for flag, value in (("--since", spec.since), ("--until", spec.until)) if value
            )
            raise ExportInputError(
                f"Nothing to export: no reply of {judged} was judged by {job.cutoff:%Y-%m-%d %H:%M} UTC"
                + (f" in sessions that ended within{window}" if window else "")
                + "."
            )
        as_of = _as_of(conn, plans)
        mixture = {kind: 1.0 for kind in sorted({k for side, k, _ in counts if side == "train"})}  # what trains
        return writer.finish(
            created_at=as_of,
            source=source_dict(spec=spec, campaigns=summaries, counts=counts, as_of=as_of),
            mixture=mixture,
        )


def _count(counts: Counter, side: str, kind: str, table: pa.Table) -> None:
    if kind == "discriminative":
        for attribute, n in zip(*_value_counts(table.column("attribute")), strict=True):
            counts[(side, kind, attribute)] += n
    else:
        counts[(side, kind, None)] += table.num_rows


def _value_counts(column) -> tuple[list, list]:
    vc = column.value_counts()
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def _pseudonyms(ids: pa.ChunkedArray, role: str, names: Pseudonyms) -> pa.Array:
    """The pseudonym of each id, computed once per distinct id (vectorised: unique, then index)."""
    ids = ids.combine_chunks()
    distinct = pc.unique(ids)
    mapped = pa.array([names(role, i) for i in distinct.to_pylist()], pa.string())
    return mapped.take(pc.index_in(ids, value_set=distinct))


def _sessions_table(rows: pa.Table, campaign: str, names: Pseudonyms, split) -> pa.Table:
    session = rows.column("session").combine_chunks().to_numpy()
    first = np.ones(len(session), dtype=bool)
    first[1:] = session[1:] != session[:-1]
    starts = np.nonzero(first)[0]
    ids = session[starts]
    turns = np.diff(np.append(starts, len(session)))
    return pa.table(
        {
            "session_id": pa.array(ids, pa.int64()),
            "campaign": pa.array([campaign] * len(ids), pa.string()),
            "worker": _pseudonyms(rows.column("worker").take(pa.array(starts)), "worker", names),
            "split": pa.array(["validation" if split(s) else "train" for s in ids.tolist()], pa.string()),
            "turns": pa.array(turns.astype(np.int32)),
        }
    )


def _labels_table(rows: pa.Table, campaign: str, names: Pseudonyms) -> pa.Table:
    return pa.table(
        {
            "turn_id": rows.column("turn"),
            "campaign": pa.array([campaign] * rows.num_rows, pa.string()),
            "rater": _pseudonyms(rows.column("rater"), "rater", names),
            "answers": rows.column("answers"),
            "form_version_id": rows.column("form_version"),
        }
    )
