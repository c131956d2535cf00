"""Synthetic rated data at scale, written with set-based SQL (generate_series): finished quality sessions of
alternating human / model turns, one complete rating item per model turn, `raters` labels each (random answers
that follow the cascade), aggregated with the platform's own rule. For the export benchmark and the kill test;
never used by the platform itself."""

from __future__ import annotations

from django.db import connection

from annotation.forms import shipped_form
from annotation.services.aggregation import campaign_aggregate


def load_rated_sessions(campaign, *, sessions: int, turns: int = 20, seed: float = 0.42) -> int:
    """Add `sessions` finished, rated sessions of `turns` turns to a quality campaign; return the model turns."""
    version = shipped_form("quality-ssi").current_version()
    raters, chatters = max(campaign.raters_per_item, 1), 50
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [seed])
        cur.execute(
            "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name,"
            " email, date_joined) SELECT 'synthetic-' || g, '!', false, false, true, '', '', '', now()"
            " FROM generate_series(1, %s) g ON CONFLICT (username) DO NOTHING",
            [raters + chatters],
        )
        cur.execute("SELECT id FROM auth_user WHERE username LIKE 'synthetic-%%' ORDER BY id")
        users = [r[0] for r in cur.fetchall()]
        chat, rate = users[:chatters], users[chatters : chatters + raters]
        cur.execute(
            "INSERT INTO collection_chatsession (campaign_id, worker_id, status, turn_count, started_at,"
            " last_activity_at, ended_at, sent_for_rating, mode, opening, stopped_early, rating_items_pending)"
            " SELECT %s, (%s::int[])[1 + g %% %s], 'finished', %s, now(), now(), now() - interval '1 second', true,"
            " 'natural', '', false, false FROM generate_series(1, %s) g RETURNING id",
            [campaign.pk, chat, chatters, turns, sessions],
        )
        cur.execute(
            "CREATE TEMP TABLE synthetic_sessions AS SELECT id FROM collection_chatsession WHERE campaign_id = %s"
            " AND NOT EXISTS (SELECT 1 FROM collection_turn t WHERE t.session_id = collection_chatsession.id)",
            [campaign.pk],
        )
        cur.execute(
            "INSERT INTO collection_turn (session_id, index, speaker, text, created_at, model_id, model_version,"
            " sampling, client_message_id, reply_error)"
            " SELECT s.id, i, CASE WHEN i %% 2 = 0 THEN 'human' ELSE 'model' END,"
            " CASE WHEN i %% 2 = 0 THEN 'what do you think about topic ' ELSE 'I think it is a fine topic, number ' END"
            " || s.id || '.' || i, now(), 'm', 'v1', '{}', '', ''"
            " FROM synthetic_sessions s CROSS JOIN generate_series(0, %s) i",
            [turns - 1],
        )
        cur.execute(
            "INSERT INTO annotation_ratingitem (campaign_id, session_id, turn_id, chatter_id, form_version_id, form_id,"
            " required_labels, label_count, status, created_at, completed_at)"
            " SELECT %s, t.session_id, t.id, s.worker_id, %s, %s, %s, %s, 'complete', now(),"
            " now() - interval '1 second'"
            " FROM collection_turn t JOIN collection_chatsession s ON s.id = t.session_id"
            " WHERE t.session_id IN (SELECT id FROM synthetic_sessions) AND t.speaker = 'model'",
            [campaign.pk, version.pk, version.form_id, raters, raters],
        )
        model_turns = cur.rowcount
        cur.execute(
            "INSERT INTO annotation_label (item_id, rater_id, answers, leased_at, created_at)"
            " SELECT i.id, r.rater, CASE WHEN a.s <> 'yes' THEN jsonb_build_object('sensible', a.s)"
            "   WHEN a.p <> 'yes' THEN jsonb_build_object('sensible', 'yes', 'specific', a.p)"
            "   ELSE jsonb_build_object('sensible', 'yes', 'specific', 'yes', 'interesting', a.i) END, now(), now()"
            " FROM annotation_ratingitem i CROSS JOIN unnest(%s::int[]) AS r(rater)"
            " CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.8 THEN 'yes' ELSE 'no' END s,"
            "   CASE WHEN random() < 0.7 THEN 'yes' ELSE 'no' END p,"
            "   CASE WHEN random() < 0.3 THEN 'yes' ELSE 'maybe' END i, r.rater AS _r) a"
            " WHERE i.session_id IN (SELECT id FROM synthetic_sessions)",
            [rate],
        )
        cur.execute("DROP TABLE synthetic_sessions")
    campaign_aggregate(campaign_id=campaign.pk)
    return model_turns
