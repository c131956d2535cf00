"""Panel ids go with their session into the export's meta/sessions.parquet (NULL for sessions not from a panel)."""

import pyarrow.parquet as pq
import pytest

from collection.models import ChatSession
from recruitment.models import PanelVisit, PanelWorker
from tests.exports.conftest import rated  # noqa: F401  (the export tests' rated campaigns)
from tests.exports.test_examples import _export
from tests.factories import UserFactory
from tests.recruitment.factories import PID, SESSION, STUDY

pytestmark = pytest.mark.django_db(transaction=True)  # the export reads on its own connection


def test_panel_ids_are_in_the_sessions_table(rated, tmp_path):  # noqa: F811
    session = ChatSession.objects.filter(campaign=rated["quality"]).order_by("id").first()
    worker = PanelWorker.objects.create(user=UserFactory(), panel="prolific", panel_worker_id=PID)
    PanelVisit.objects.create(
        worker=worker, campaign=rated["quality"], study_id=STUDY, assignment_id=SESSION, chat_session=session
    )
    job = _export(tmp_path, ["q-export"])
    rows = {r["session_id"]: r for r in pq.read_table(f"{job.out_dir}/meta/sessions.parquet").to_pylist()}
    assert rows[session.pk]["panel"] == "prolific" and rows[session.pk]["panel_worker_id"] == PID
    assert (rows[session.pk]["panel_study_id"], rows[session.pk]["panel_assignment_id"]) == (STUDY, SESSION)
    others = [r for s, r in rows.items() if s != session.pk]
    assert others and all(r["panel"] is None and r["panel_worker_id"] is None for r in others)
