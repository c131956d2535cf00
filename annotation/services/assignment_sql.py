"""The SQL of claiming and submitting (docs/assignment.md). Each constant is one round trip; why each statement is
separate (and why the re-count cannot live in the candidate query) is in the design note.

Parameters are named: rater, campaign (None = any), now, expires, day (UTC midnight, for daily caps), tried (item
ids found full after locking), item, required, lease, answers (JSON text).
"""

# Lock 1: the rater's row. A separate statement from the lease read below: a statement that waited for this lock
# still reads the other tables as of its start, so it could miss the lease that the rater's previous claim (the
# holder of the lock) just committed.
RATER_LOCK = "SELECT id FROM auth_user WHERE id = %(rater)s FOR UPDATE"

HELD_LEASE = """
SELECT l.id, l.item_id, l.created_at, l.expires_at, i.status = 'open'
FROM annotation_lease l JOIN annotation_ratingitem i ON i.id = l.item_id
WHERE l.rater_id = %(rater)s
"""

LEASE_DELETE = "DELETE FROM annotation_lease WHERE id = %(lease)s"

# Open items this rater did not chat, did not label and did not skip, in a campaign whose content warning they read
# and whose daily cap they have not reached, that have room as of this statement's snapshot, oldest first. The room
# test here only saves round trips (full items are skipped inside the scan); the re-count under the lock
# (LEASE_INSERT_IF_ROOM) is what keeps the quota.
_CANDIDATES = """
FROM annotation_ratingitem i JOIN collection_campaign c ON c.id = i.campaign_id
WHERE i.status = 'open'
  AND i.chatter_id <> %(rater)s
  AND (%(campaign)s::bigint IS NULL OR i.campaign_id = %(campaign)s::bigint)
  AND NOT (i.id = ANY(%(tried)s::bigint[]))
  AND NOT EXISTS (SELECT 1 FROM annotation_label q WHERE q.item_id = i.id AND q.rater_id = %(rater)s)
  AND NOT EXISTS (SELECT 1 FROM annotation_itemskip k WHERE k.item_id = i.id AND k.rater_id = %(rater)s)
  AND i.label_count + (SELECT count(*) FROM annotation_lease s WHERE s.item_id = i.id AND s.expires_at > %(now)s)
      < i.required_labels
  AND (c.content_warning = ''
       OR EXISTS (SELECT 1 FROM annotation_warningack w WHERE w.campaign_id = c.id AND w.rater_id = %(rater)s))
  AND (c.daily_label_cap IS NULL OR c.daily_label_cap > (
       SELECT count(*) FROM annotation_label d JOIN annotation_ratingitem di ON di.id = d.item_id
       WHERE d.rater_id = %(rater)s AND d.created_at >= %(day)s AND di.campaign_id = c.id))
"""

# Before a claim in one named campaign: does the rater still have to read its content warning, and how many items
# did they rate in it today (against its daily cap)? One row: (warning text or '', cap or NULL, rated today).
CAMPAIGN_GATE = """
SELECT CASE WHEN c.content_warning <> '' AND NOT EXISTS (
           SELECT 1 FROM annotation_warningack w WHERE w.campaign_id = c.id AND w.rater_id = %(rater)s)
       THEN c.content_warning ELSE '' END,
       c.daily_label_cap,
       CASE WHEN c.daily_label_cap IS NULL THEN 0 ELSE (
           SELECT count(*) FROM annotation_label d JOIN annotation_ratingitem di ON di.id = d.item_id
           WHERE d.rater_id = %(rater)s AND d.created_at >= %(day)s AND di.campaign_id = c.id) END
FROM collection_campaign c WHERE c.id = %(campaign)s
"""

# Lock 3 when claiming: the first such item that no other claim or submit holds. NO KEY UPDATE, like the UPDATE
# that counts a label: it does not conflict with the key-share locks that inserting a lease or label takes on
# the item it references.
CANDIDATE_LOCK = (
    f"SELECT i.id, i.required_labels {_CANDIDATES} ORDER BY i.id LIMIT 1 FOR NO KEY UPDATE OF i SKIP LOCKED"
)

# No free candidate: is there none at all (no work), or are they all locked right now (busy)?
CANDIDATE_EXISTS = f"SELECT 1 {_CANDIDATES} LIMIT 1"

# Under the item's row lock, in a fresh snapshot (READ COMMITTED: this statement sees every claim that held the lock
# before): labels + live leases < quota -> the lease. No row back means the item filled up meanwhile.
LEASE_INSERT_IF_ROOM = """
INSERT INTO annotation_lease (item_id, rater_id, created_at, expires_at)
SELECT %(item)s, %(rater)s, %(now)s, %(expires)s
WHERE (SELECT count(*) FROM annotation_label WHERE item_id = %(item)s)
    + (SELECT count(*) FROM annotation_lease WHERE item_id = %(item)s AND expires_at > %(now)s) < %(required)s
RETURNING id
"""

# The end of both label statements: count the label on the item (only if one was stored), completing the item at its
# quota; answer the new label's id, its lease time and the item's status.
_COUNT_LABEL = """), counted AS (
    UPDATE annotation_ratingitem
    SET label_count = label_count + 1,
        status = CASE WHEN label_count + 1 >= required_labels THEN 'complete' ELSE status END,
        completed_at = CASE WHEN label_count + 1 >= required_labels THEN %(now)s ELSE completed_at END
    WHERE id = %(item)s AND EXISTS (SELECT 1 FROM label)
    RETURNING status
)
SELECT label.id, label.leased_at, counted.status FROM label, counted
"""

# Submitting on a live lease, in one statement (in a transaction, so that the item's aggregation, when this is its
# last label, commits with it): lock 2, the rater's live lease on the
# item (a duplicate submit of the same rater waits on it, then finds it deleted: no row); store the label, drop the
# lease, count the label on the item, completing it at the quota (the UPDATE takes the item's row lock for the
# statement's last moment). Turning a live lease into a label does not change the item's total, so no re-count.
# No row back: no live lease; labels.py then works out why, in a transaction (LEASE_LOCK, ITEM_LOCK).
# Before it: the item's form version (the answers are checked against it; the item's existence comes with it).
ITEM_FORM = "SELECT form_version_id, chatter_id FROM annotation_ratingitem WHERE id = %(item)s"
LABEL_SUBMIT = f"""
WITH lease AS (
    SELECT id, created_at FROM annotation_lease
    WHERE rater_id = %(rater)s AND item_id = %(item)s AND expires_at > %(now)s
    FOR UPDATE
), label AS (
    INSERT INTO annotation_label (item_id, rater_id, answers, leased_at, created_at)
    SELECT %(item)s, %(rater)s, %(answers)s::jsonb, lease.created_at, %(now)s FROM lease
    RETURNING id, leased_at
), dropped AS (
    DELETE FROM annotation_lease WHERE id IN (SELECT id FROM lease)
{_COUNT_LABEL}"""

# The slow path of a submit, inside a transaction: the rater's lease on the item, live or expired.
LEASE_LOCK = """
SELECT l.id, l.created_at, l.expires_at, i.required_labels
FROM annotation_lease l JOIN annotation_ratingitem i ON i.id = l.item_id
WHERE l.rater_id = %(rater)s AND l.item_id = %(item)s
FOR UPDATE OF l
"""

# An expired lease's answer counts only if the item still has room: re-counted under the item's row lock.
ITEM_LOCK = "SELECT id FROM annotation_ratingitem WHERE id = %(item)s FOR NO KEY UPDATE"

# Store the label of a lease already locked (LEASE_LOCK), drop the lease, count the label on the item.
LABEL_STORE = f"""
WITH label AS (
    INSERT INTO annotation_label (item_id, rater_id, answers, leased_at, created_at)
    VALUES (%(item)s, %(rater)s, %(answers)s::jsonb, %(leased_at)s, %(now)s)
    RETURNING id, leased_at
), dropped AS (
    DELETE FROM annotation_lease WHERE id = %(lease)s
{_COUNT_LABEL}"""
