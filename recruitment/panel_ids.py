"""Reading a worker's panel ids from the query string of a panel link. Nothing here touches the database: a link
with missing or malformed ids is refused before any account exists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from recruitment.models import PanelWorker

PROLIFIC_ID = re.compile(r"[0-9a-f]{24}")  # Prolific's ids are 24 lowercase hex digits
GENERIC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # MTurk-style ids: letters, digits, - and _
PROLIFIC_KEYS = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")
GENERIC_KEYS = ("worker_id", "assignment_id")


class PanelLinkError(ApplicationError):
    """400: the link lacks an id or carries one that cannot be the panel's."""


@dataclass(frozen=True)
class PanelIds:
    panel: str
    worker_id: str
    study_id: str
    assignment_id: str


def panel_ids_parse(params) -> PanelIds:
    """The ids of a Prolific link (PROLIFIC_PID, STUDY_ID, SESSION_ID) or of a generic one (worker_id,
    assignment_id, optional study_id); PanelLinkError saying which id is missing or malformed."""
    if any(key in params for key in PROLIFIC_KEYS):
        values = _values(params, PROLIFIC_KEYS, PROLIFIC_ID)
        return PanelIds(PanelWorker.Panel.PROLIFIC, values[0], values[1], values[2])
    if any(key in params for key in GENERIC_KEYS):
        worker, assignment = _values(params, GENERIC_KEYS, GENERIC_ID)
        study = params.get("study_id", "")
        if study and not GENERIC_ID.fullmatch(study):
            raise PanelLinkError(_("The study_id in this link is not a valid panel id."))
        return PanelIds(PanelWorker.Panel.GENERIC, worker, study, assignment)
    raise PanelLinkError(
        _("This link carries no panel ids. Open the study again from your panel (for example Prolific).")
    )


def _values(params, keys: tuple[str, ...], pattern: re.Pattern) -> list[str]:
    values = []
    for key in keys:
        value = params.get(key, "")
        if not value:
            raise PanelLinkError(
                _("This link is missing %(key)s. Open the study again from your panel.") % {"key": key}
            )
        if not pattern.fullmatch(value):
            raise PanelLinkError(_("The %(key)s in this link is not a valid panel id.") % {"key": key})
        values.append(value)
    return values
