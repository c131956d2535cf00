"""The chitchat demo corpus: read from the installed wheel, turned into generative examples and a snapshot."""

from training.data.corpus import LICENSE, dialog_examples, dialog_texts, load_chitchat_dialogs, write_demo_snapshot
from training.format.io import load_snapshot


def test_dialogs_are_lists_of_nonempty_turns():
    dialogs = load_chitchat_dialogs(max_dialogs=40)
    assert len(dialogs) == 40
    for turns in dialogs.values():
        assert len(turns) >= 2 and all(t.strip() for t in turns)
    assert sum(1 for _ in dialog_texts(dialogs)) == sum(len(t) for t in dialogs.values())


def test_each_turn_gets_the_previous_turns_as_context():
    dialogs = {"d": ["a1", "b1", "a2", "b2", "a3", "b3"]}
    examples = list(dialog_examples(dialogs, max_context_turns=3))
    assert [ex.response for ex in examples] == dialogs["d"]
    assert examples[0].context == []
    assert examples[1].context == ["a1"]
    assert examples[5].context == ["a2", "b2", "a3"]
    assert examples[5].id == "chitchat:d:5"


def test_demo_snapshot_round_trips(tmp_path):
    manifest = write_demo_snapshot(tmp_path / "demo", max_dialogs=15)
    assert manifest.source["license"] == LICENSE == "MIT"
    assert manifest.source["name"] == "chitchat-dataset"
    snap = load_snapshot(tmp_path / "demo")
    expected = sum(len(t) for t in load_chitchat_dialogs(max_dialogs=15).values())
    assert len(snap.examples["generative"]) == expected
    assert snap.examples["discriminative"] == [] and snap.examples["research"] == []
