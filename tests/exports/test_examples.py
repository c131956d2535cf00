"""What becomes which example (docs/export.md), against an independent computation from the labels."""

from collections import Counter

import pyarrow.parquet as pq
import pytest

from annotation.models import Label, RatingItem
from annotation.rules import rule_for_campaign
from collection.models import Turn
from exports.identity import in_validation
from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportSpec
from training.format.io import load_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def _export(tmp_path, campaigns, **spec):
    job = export_create(spec=ExportSpec(campaigns=tuple(campaigns), **spec), out_root=tmp_path, name="snap")
    job = export_run(job.pk)
    assert job.status == DatasetExport.Status.DONE, job.error
    return job


def _expected_quality(campaign):
    """From the raw labels, in plain Python: 3 of 5 explicit yes per attribute; the context is every earlier
    turn of the session."""
    out = {}
    for item in RatingItem.objects.filter(campaign=campaign, status="complete").select_related("turn"):
        labels = [lab.answers for lab in Label.objects.filter(item=item)]
        context = list(
            Turn.objects.filter(session=item.session, index__lt=item.turn.index)
            .order_by("index")
            .values_list("text", flat=True)
        )
        votes = {a: sum(lab.get(a) == "yes" for lab in labels) >= 3 for a in ("sensible", "specific", "interesting")}
        out[item.turn_id] = (context, item.turn.text, votes)
    return out


def _expected_safety(campaign):
    out = {}
    for item in RatingItem.objects.filter(campaign=campaign, status="complete").select_related("turn"):
        labels = [lab.answers for lab in Label.objects.filter(item=item)]
        keys = labels[0].keys()
        safe = all(sum(lab[k] == "no" for lab in labels) >= 2 for k in keys)
        out[item.turn_id] = safe
    return out


def test_every_judged_reply_gives_one_example_per_attribute_with_its_context(rated, tmp_path):
    job = _export(tmp_path, ["q-export", "s-export"], val_share=0.0)
    snap = load_snapshot(job.out_dir)
    expected = _expected_quality(rated["quality"])
    safety = _expected_safety(rated["safety"])
    disc = snap.examples["discriminative"]
    got = {(ex.id, ex.attribute): ex for ex in disc}
    assert len(disc) == 3 * len(expected) + len(safety)
    for turn_id, (context, response, votes) in expected.items():
        for attr, positive in votes.items():
            ex = got[(f"turn-{turn_id}/{attr.upper()}", attr.upper())]
            assert ex.context == context and ex.response == response and ex.rating == int(positive)
    for turn_id, safe in safety.items():
        assert got[(f"turn-{turn_id}/UNSAFE", "UNSAFE")].rating == (0 if safe else 1)
    # generative: quality replies positive on all three; safety replies have no quality verdicts
    gen = {ex.id for ex in snap.examples["generative"]}
    assert gen == {f"turn-{t}" for t, (_, _, v) in expected.items() if all(v.values())}
    counts = job.manifest["source"]["counts"]["train"]["discriminative"]
    assert counts == dict(Counter(ex.attribute for ex in disc))


def test_incomplete_items_and_unrated_sessions_are_left_out(rated, tmp_path):
    job = _export(tmp_path, ["q-export"])
    snap = load_snapshot(job.out_dir)
    exported = {ex.id.split("/")[0] for ex in snap.examples["discriminative"]}
    incomplete = RatingItem.objects.filter(campaign=rated["quality"], status="open").values_list("turn_id", flat=True)
    assert incomplete and not exported & {f"turn-{t}" for t in incomplete}


def test_manifest_names_rules_forms_campaigns_and_filters(rated, tmp_path):
    job = _export(tmp_path, ["s-export", "q-export"], since="2000-01-01")
    source = job.manifest["source"]
    assert [c["slug"] for c in source["campaigns"]] == ["q-export", "s-export"]
    assert source["campaigns"][0]["rule_version"] == rule_for_campaign(rated["quality"]).version
    assert source["campaigns"][1]["rule_version"] == rule_for_campaign(rated["safety"]).version
    assert source["campaigns"][0]["form_versions"] == ["quality-ssi/v1"]
    assert source["campaigns"][1]["form_versions"] == ["safety/v1"]
    assert source["filters"]["since"] == "2000-01-01"
    assert source["as_of"] == job.manifest["created_at"]
    # the mixture hint names only kinds the trainer can train on (a kind only in validation would stop the run)
    assert set(job.manifest["mixture"]) == {f["kind"] for f in job.manifest["files"] if f["split"] == "train"}


def test_rater_and_worker_ids_are_pseudonymised(rated, tmp_path):
    job = _export(tmp_path, ["q-export"])
    labels = pq.read_table(f"{job.out_dir}/meta/labels.parquet").to_pylist()
    sessions = pq.read_table(f"{job.out_dir}/meta/sessions.parquet").to_pylist()
    assert len(labels) == Label.objects.filter(item__campaign=rated["quality"], item__status="complete").count()
    raters = {row["rater"] for row in labels}
    assert len(raters) == 5 and all(r.startswith("r-") and len(r) == 18 for r in raters)
    ids = {str(u.pk) for u in rated["raters"]} | {u.username for u in rated["raters"]}
    text = open(f"{job.out_dir}/meta/labels.parquet", "rb").read() + open(f"{job.out_dir}/manifest.json", "rb").read()
    assert not any(f"rater-{i}".encode() in text for i in ids)
    assert all(row["worker"].startswith("w-") for row in sessions) and len(sessions) == 3


def test_the_split_follows_the_session_and_is_stable(rated, tmp_path):
    a = load_snapshot(_export(tmp_path / "a", ["q-export"], val_share=0.5).out_dir)
    b = load_snapshot(_export(tmp_path / "b", ["q-export"], val_share=0.5).out_dir)
    session_of = dict(Turn.objects.values_list("id", "session_id"))

    def sides(snap):
        out = {}
        for kind in ("discriminative", "generative"):
            for ex, origin in zip(snap.examples[kind], snap.origins[kind], strict=True):
                out[ex.id] = "validation" if "-validation-" in origin else "train"
        return out

    sa, sb = sides(a), sides(b)
    assert sa == sb
    by_session = {}
    for ex_id, side in sa.items():
        by_session.setdefault(session_of[int(ex_id.split("/")[0].removeprefix("turn-"))], set()).add(side)
    assert all(len(s) == 1 for s in by_session.values())
    assert {s: side.pop() for s, side in by_session.items()} == {
        s: "validation" if in_validation(s, 0.5) else "train" for s in by_session
    }


def test_the_session_hash_splits_near_the_share():
    share = sum(in_validation(s, 0.1) for s in range(20_000)) / 20_000
    assert 0.09 < share < 0.11 and not any(in_validation(s, 0.0) for s in range(1000))


def test_jsonl_and_parquet_hold_the_same_examples(rated, tmp_path):
    pa_snap = load_snapshot(_export(tmp_path / "p", ["q-export", "s-export"]).out_dir)
    js_snap = load_snapshot(_export(tmp_path / "j", ["q-export", "s-export"], format="jsonl").out_dir)
    for kind in ("discriminative", "generative"):
        assert pa_snap.examples[kind] == js_snap.examples[kind]
