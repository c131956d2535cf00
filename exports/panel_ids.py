"""Panel ids in meta/sessions.parquet: the Prolific (or generic panel) worker, study and submission ids of each
session whose worker came from a panel link, NULL for the others (docs/recruitment.md). Read on the export's
snapshot connection (so they agree with the rest of the snapshot) before the turn stream's COPY starts."""

from __future__ import annotations

import psycopg
import pyarrow as pa

from exports.reader import Scope, scalar_rows

PANEL_COLUMNS = ("panel", "panel_worker_id", "panel_study_id", "panel_assignment_id")


def panel_ids_read(conn: psycopg.Connection, scope: Scope) -> dict[int, tuple]:
    """{session id: (panel, worker id, study id, assignment id)} for the scope's sessions from a panel."""
    where, params = scope.session_where()
    sql = f"""
        SELECT s.id, w.panel, w.panel_worker_id, v.study_id, v.assignment_id
        FROM collection_chatsession s
        JOIN recruitment_panelvisit v ON v.chat_session_id = s.id
        JOIN recruitment_panelworker w ON w.id = v.worker_id
        WHERE {where}
    """
    return {row[0]: row[1:] for row in scalar_rows(conn, sql, params)}


def with_panel_ids(panel: dict[int, tuple], sessions: pa.Table) -> pa.Table:
    """`sessions` (one row per session, column session_id) with the four panel id columns appended."""
    ids = sessions.column("session_id").to_pylist()
    for j, name in enumerate(PANEL_COLUMNS):
        values = [(panel[s][j] or None) if s in panel else None for s in ids]
        sessions = sessions.append_column(name, pa.array(values, pa.string()))
    return sessions
