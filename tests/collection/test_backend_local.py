"""The `local` backend: a trainer export run in-process through training.inference.ChatModel.

`random_export` builds a real export (tokenizer trained on a few sentences, random weights, training.inference.export)
without training anything; if the suite provides a session fixture `tiny_export` (an export dir), that one is
used instead.
"""

import random

import pytest

from collection.backends import BackendError, Utterance, backend_for
from collection.backends import local as local_backend
from collection.models import ModelEndpoint, Turn
from collection.services.chat import message_send
from tests.collection.factories import CampaignFactory, ChatSessionFactory, ModelEndpointFactory

DIALOG = [
    Utterance("human", "hello how are you"),
    Utterance("model", "fine thanks"),
    Utterance("human", "what music"),
]
WORDS = "hello hi how are you fine thanks what about music movie book cat dog food tea travel city good".split()


@pytest.fixture(autouse=True)
def fresh_cache():
    local_backend.clear_cache()
    yield
    local_backend.clear_cache()


@pytest.fixture(scope="module")
def random_export(request, tmp_path_factory):
    try:
        return request.getfixturevalue("tiny_export")
    except pytest.FixtureLookupError:
        pass
    torch = pytest.importorskip("torch")
    from training.data.tokenizer import train_tokenizer
    from training.inference.export import export_model
    from training.model.config import ModelConfig
    from training.run.parallel import build_model

    torch.set_num_threads(1)
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("local_backend")
    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(300)]
    tok = train_tokenizer(texts, root / "tok", vocab_size=400, num_threads=1)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layers=1, n_heads=2, d_head=16, d_ff=64, max_seq_len=96)
    model = build_model(cfg, device="cpu")
    return export_model(
        root / "export", model=model, model_config=cfg, tokenizer_dir=root / "tok", model_id="rand", step=0
    )


def local_endpoint(path, **sampling) -> ModelEndpoint:
    return ModelEndpoint(name="local", backend="local", checkpoint_path=str(path), sampling=sampling)


def test_missing_export_names_the_path_and_the_fix(tmp_path):
    missing = tmp_path / "nothing-here"
    with pytest.raises(BackendError) as info:
        backend_for(local_endpoint(missing)).generate(DIALOG)
    assert info.value.kind == "config" and info.value.http_status == 503
    assert str(missing) in info.value.message
    assert "python -m training.train --preset tiny --out var/checkpoints/tiny" in info.value.message


def test_blank_path_means_the_demo_checkpoint_setting(settings, tmp_path):
    settings.LAMDA_DEMO_CHECKPOINT = tmp_path / "demo" / "export"
    assert backend_for(local_endpoint("")).export_dir == (tmp_path / "demo" / "export").resolve()
    settings.BASE_DIR = tmp_path
    assert backend_for(local_endpoint("rel/export")).export_dir == (tmp_path / "rel" / "export").resolve()


class FakeChatModel:
    loads = 0

    def __init__(self):
        self.calls = []
        self.fail = False
        self.text = "a local reply"

    @classmethod
    def load(cls, export_dir):
        cls.loads += 1
        return cls()

    def reply(self, context, settings):
        from training.inference.ranking.rank import ScoredCandidate
        from training.inference.ranking.sample_rank import RankedReply

        if self.fail:
            raise RuntimeError("CUDA out of memory")
        self.calls.append((context, settings))
        cands = [ScoredCandidate(self.text, [1], -1.0, True), ScoredCandidate("bad", [2], -0.5, True, dropped="why")]
        return RankedReply(self.text, "pt", cands, 0, settings, model_id="m", model_version="v")


def test_contract_caches_per_path_and_passes_context_and_settings(monkeypatch, tmp_path):
    monkeypatch.setattr("training.inference.ChatModel", FakeChatModel)
    FakeChatModel.loads = 0
    endpoint = local_endpoint(tmp_path, top_k=5, temperature=0.5, max_new_tokens=9, seed=3, system_prompt="ignored")
    first = backend_for(endpoint).generate(DIALOG)
    backend_for(endpoint).generate(DIALOG[:1])
    assert FakeChatModel.loads == 1, "loaded once per path and process"
    model, _ = local_backend.load_chat_model(tmp_path.resolve())
    context, settings = model.calls[0]
    assert context == ["hello how are you", "fine thanks", "what music"]
    assert (settings.top_k, settings.temperature, settings.max_new_tokens, settings.seed) == (5, 0.5, 9, 3)
    assert settings.ranking == "auto" and settings.num_candidates == 16, "unset: the paper's defaults, auto ranking"
    assert (first.text, first.model_id, first.model_version) == ("a local reply", "m", "v")
    assert first.sampling == settings.to_dict()
    assert first.ranking["dropped"] == [{"index": 1, "text": "bad", "reason": "why"}]
    assert [c["text"] for c in first.ranking["candidates"]] == ["a local reply", "bad"]

    model.text = "   "
    with pytest.raises(BackendError, match="empty reply"):
        backend_for(endpoint).generate(DIALOG)
    model.fail = True
    with pytest.raises(BackendError, match="CUDA out of memory") as info:
        backend_for(endpoint).generate(DIALOG)
    assert info.value.http_status == 503


@pytest.mark.parametrize(
    ("sampling", "message"),
    [
        ({"num_candidates": 0}, "num_candidates must be an integer from 1 to 64"),
        ({"num_candidate": 4}, "unknown setting"),
    ],
)
def test_bad_settings_on_the_endpoint_are_a_config_error(monkeypatch, tmp_path, sampling, message):
    monkeypatch.setattr("training.inference.ChatModel", FakeChatModel)
    with pytest.raises(BackendError, match=message) as info:
        backend_for(local_endpoint(tmp_path, **sampling)).generate(DIALOG)
    assert info.value.kind == "config" and "sampling settings are invalid" in info.value.message


def test_damaged_export_is_a_clear_config_error(tmp_path):
    (tmp_path / "export").mkdir()
    with pytest.raises(BackendError, match="could not load the local model") as info:
        backend_for(local_endpoint(tmp_path / "export")).generate(DIALOG)
    assert "config.json" in info.value.message and info.value.kind == "config"


def test_real_export_answers_with_its_id_and_version(random_export):
    import json

    meta = json.loads((random_export / "config.json").read_text())
    endpoint = local_endpoint(random_export, top_k=5, max_new_tokens=8, seed=1, num_candidates=4)
    reply = backend_for(endpoint).generate(DIALOG)
    assert reply.text
    assert (reply.model_id, reply.model_version) == (meta["model_id"], meta["model_version"])
    assert reply.sampling["top_k"] == 5 and reply.sampling["seed"] == 1
    assert reply.ranking["ranking"] == "pt" and len(reply.ranking["candidates"]) == 4, (
        "a random export has no discriminator"
    )


def test_discriminator_ranking_of_a_pre_trained_only_export_is_a_config_error(random_export):
    endpoint = local_endpoint(random_export, max_new_tokens=4, num_candidates=2, ranking="discriminator")
    with pytest.raises(BackendError, match="never fine-tuned for discrimination") as info:
        backend_for(endpoint).generate(DIALOG)
    assert info.value.kind == "config" and info.value.http_status == 503


def test_chat_service_talks_to_a_local_export(random_export, db, worker):
    endpoint = ModelEndpointFactory(
        backend="local", checkpoint_path=str(random_export), sampling={"max_new_tokens": 8, "seed": 0}
    )
    session = ChatSessionFactory(campaign=CampaignFactory(model_endpoint=endpoint), worker=worker)
    result = message_send(session_id=session.pk, worker=worker, text="hello how are you")
    import json

    meta = json.loads((random_export / "config.json").read_text())
    turn = Turn.objects.get(pk=result.model_turn.pk)
    assert turn.speaker == "model" and turn.text and turn.model_version == meta["model_version"]
    assert turn.sampling["max_new_tokens"] == 8 and turn.latency_ms is not None
    assert len(turn.ranking["candidates"]) == 16 and turn.ranking["chosen"] is not None
    chosen = turn.ranking["candidates"][turn.ranking["chosen"]]
    assert chosen["text"] == turn.text and chosen["rank_score"] is not None


def test_trained_demo_checkpoint_if_present(settings):
    path = settings.LAMDA_DEMO_CHECKPOINT
    if not path.is_dir():
        pytest.skip(f"no demo export at {path}: run `{local_backend.TRAIN_HINT}` to test against it")
    reply = backend_for(local_endpoint("", max_new_tokens=16, seed=0)).generate(DIALOG)
    assert reply.text and reply.model_version
