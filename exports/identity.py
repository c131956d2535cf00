"""Stable, keyed identities in exports: the train / validation split by a hash of the session, and pseudonyms of
rater and worker ids by a keyed hash (HMAC-SHA256), so exports of the same data agree with each other while a
reader without the key cannot recover a user id (docs/export.md)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

_BUCKETS = 1_000_000


def pseudonym_key() -> bytes:
    """LAMDA_EXPORT_PSEUDONYM_KEY, else a key derived from the secret key (rotating the secret key changes every
    pseudonym; set the export key to keep them)."""
    own = getattr(settings, "LAMDA_EXPORT_PSEUDONYM_KEY", "")
    if own:
        return own.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"lamda-export-pseudonyms", hashlib.sha256).digest()


class Pseudonyms:
    def __init__(self, key: bytes | None = None):
        self._key = key if key is not None else pseudonym_key()
        self._seen: dict[tuple[str, int], str] = {}

    def __call__(self, role: str, user_id: int) -> str:
        """'w-<16 hex>' for a worker, 'r-<16 hex>' for a rater: one person gets the same pseudonym in both roles'
        hash input only if the role is the same, so worker and rater lists cannot be joined without the key."""
        got = self._seen.get((role, user_id))
        if got is None:
            digest = hmac.new(self._key, f"{role}:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]
            got = self._seen[(role, user_id)] = f"{role[0]}-{digest}"
        return got


def in_validation(session_id: int, val_share: float) -> bool:
    """A session's split is a pure function of its id (not keyed: it must not change when a key rotates), so a
    session stays on its side across exports and the contexts of one dialog never land on both sides."""
    return val_share > 0 and session_bucket(session_id) < val_share * _BUCKETS


def session_bucket(session_id: int) -> int:
    """The session's place in [0, 1,000,000): it is in validation when below val_share x 1,000,000."""
    digest = hashlib.blake2b(f"session:{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _BUCKETS
