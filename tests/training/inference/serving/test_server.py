"""`python -m training.serve`: a real HTTP server (started by the test) against the official `openai` client, the
platform's `openai` backend and raw HTTP: completions with the extra "lamda" field, streaming, /health, 4xx."""

import http.client
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from tests.training.train_helpers import ROOT, assets, env  # noqa: F401
from training.data.tokenizer import Tokenizer
from training.inference import ChatModel, RankSettings
from training.inference.export import export_model
from training.inference.serving.server import make_server
from training.model.config import ModelConfig
from training.run.parallel import build_model

SETTINGS = RankSettings(num_candidates=4, max_new_tokens=6, seed=0, safety_threshold=0.0)
MESSAGES = [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hello how are you"}]


def _export(root, tok_dir, extra):
    torch.manual_seed(0)
    tok = Tokenizer.load(tok_dir)
    cfg = ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layers=1, n_heads=2, d_head=16, d_ff=64, max_seq_len=96)
    return export_model(
        root, model=build_model(cfg, device="cpu"), model_config=cfg, tokenizer_dir=tok_dir, model_id="srv",
        step=0, extra=extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def exports(tmp_path_factory, assets):  # noqa: F811
    root = tmp_path_factory.mktemp("serve")
    ft = _export(root / "ft", assets.tokenizer, {"train_config": {"mixture": {"discriminative": 1.0}}})
    pt = _export(root / "pt", assets.tokenizer, {"train_config": {"mixture": {}, "data": []}})
    return ft, pt


def _start(path, settings):
    server = make_server(ChatModel.load(path, device="cpu"), settings, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def server(exports):
    srv = _start(exports[0], SETTINGS)
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def base_url(server):
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def post(server, body, path="/v1/chat/completions", raw=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    out = resp.status, resp.read()
    conn.close()
    return out[0], json.loads(out[1]) if out[1].startswith(b"{") else out[1]


def get(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_official_openai_client_gets_the_reply_and_the_ranking(base_url):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    resp = client.chat.completions.create(model="srv", messages=MESSAGES, max_tokens=6, seed=1, n=2)
    assert resp.choices[0].message.content and len(resp.choices) == 2
    lamda = resp.model_extra["lamda"]
    assert lamda["ranking"] == "discriminator" and len(lamda["candidates"]) == 4
    assert all(set(c["scores"]) == {"SENSIBLE", "SPECIFIC", "INTERESTING", "UNSAFE"} for c in lamda["candidates"])
    chosen = lamda["candidates"][lamda["chosen"]]
    assert chosen["text"] == resp.choices[0].message.content and resp.usage.prompt_tokens > 0
    assert lamda["settings"]["max_new_tokens"] == 6 and lamda["settings"]["seed"] == 1


def test_official_openai_client_streams(base_url):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    whole = client.chat.completions.create(model="srv", messages=MESSAGES, max_tokens=6, seed=2)
    chunks = list(client.chat.completions.create(model="srv", messages=MESSAGES, max_tokens=6, seed=2, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop" and "candidates" in chunks[-1].model_extra["lamda"]


def test_platform_openai_backend_keeps_the_ranking(base_url):
    from collection.backends.base import Utterance
    from collection.backends.openai_compat import OpenAICompatBackend

    backend = OpenAICompatBackend(
        base_url=base_url, model="srv", sampling={"max_tokens": 6, "seed": 3, "extra_body": {"lamda": {"top_k": 5}}}
    )
    reply = backend.generate([Utterance("human", "hello"), Utterance("model", "hi"), Utterance("human", "how are you")])
    assert reply.text and reply.model_id == "srv" and reply.model_version.startswith("srv+step0-")
    assert len(reply.ranking["candidates"]) == 4 and reply.ranking["ranking"] == "discriminator"


def test_health_and_models(server):
    status, health = get(server, "/health")
    assert status == 200 and health["status"] == "ok" and health["model"] == "srv" and health["discriminator"]
    assert get(server, "/v1/models")[1]["data"][0]["id"] == "srv"


def test_concurrent_requests_are_all_answered(server):
    body = {"model": "srv", "messages": MESSAGES, "max_tokens": 4}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: post(server, {**body, "seed": i}), range(6)))
    assert [s for s, _ in results] == [200] * 6


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ([1, 2], 400, "must be a JSON object"),
        ({"model": "srv"}, 400, "messages must be a non-empty list"),
        ({"messages": [{"role": "robot", "content": "x"}]}, 400, "role must be one of"),
        ({"messages": [{"role": "user", "content": ""}]}, 400, "content must be a non-empty string"),
        ({"messages": [{"role": "system", "content": "x"}]}, 400, "only system messages"),
        ({"messages": MESSAGES, "n": 5}, 400, r"n must be an integer from 1 to num_candidates \(4\)"),
        ({"messages": MESSAGES, "max_tokens": 500}, 400, "leaves no room"),
        ({"messages": MESSAGES, "temperature": -1}, 400, "temperature must be"),
        ({"messages": MESSAGES, "lamda": {"beams": 3}}, 400, "unknown setting"),
        ({"messages": MESSAGES, "stream": "yes"}, 400, "stream must be true or false"),
        ({"model": "gpt-4", "messages": MESSAGES}, 404, "model 'gpt-4' is not served here"),
    ],
)
def test_malformed_requests_get_a_clear_4xx(server, body, status, message):
    got, payload = post(server, body)
    assert got == status and payload["error"]["type"] == "invalid_request_error"
    assert __import__("re").search(message, payload["error"]["message"]), payload


def test_broken_json_wrong_routes_and_huge_bodies(server):
    status, payload = post(server, None, raw=b'{"messages": [')
    assert status == 400 and "not valid JSON" in payload["error"]["message"]
    assert post(server, {}, path="/v1/embeddings")[0] == 404
    assert get(server, "/v1/chat/completions")[0] == 405 and get(server, "/nope")[0] == 404
    status, payload = post(server, None, raw=b"x" * ((1 << 20) + 5000))
    assert status == 413 and "over the" in payload["error"]["message"]


def test_discriminator_ranking_of_a_pt_model_is_refused(exports):
    srv = _start(exports[1], SETTINGS.replace(ranking="auto"))
    try:
        ok, payload = post(srv, {"messages": MESSAGES})
        assert ok == 200 and payload["lamda"]["ranking"] == "pt"
        status, payload = post(srv, {"messages": MESSAGES, "lamda": {"ranking": "discriminator"}})
        assert status == 400 and "never fine-tuned for discrimination" in payload["error"]["message"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_bad_input_is_one_line_and_exit_2(exports, tmp_path, capsys):
    from training.serve import main

    cmd = [sys.executable, "-m", "training.serve", "--model", str(tmp_path / "none")]
    missing = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "export dir not found" in missing.stderr and "Traceback" not in missing.stderr
    assert main(["--model", str(exports[1]), "--set", "ranking=discriminator"]) == 2
    assert "never fine-tuned for discrimination" in capsys.readouterr().err
    assert main(["--model", str(exports[0]), "--set", "num_candidates=0"]) == 2
    err = capsys.readouterr().err
    assert "num_candidates must be" in err and len(err.strip().splitlines()) == 1
    assert main(["--model", str(exports[0]), "--settings", str(tmp_path / "nope.json")]) == 2
    assert "cannot read the settings JSON" in capsys.readouterr().err


def test_the_worker_decodes_compatible_requests_in_one_batch(server):
    from concurrent.futures import Future

    from training.inference.serving.openai_api import ChatRequest

    app = server.RequestHandlerClass.app
    before = app.worker.batches
    reqs = [ChatRequest([f"hello {i}"], SETTINGS.replace(seed=i)) for i in range(3)]
    reqs.append(ChatRequest(["other"], SETTINGS.replace(top_k=3)))  # another batch key: runs alone
    jobs = [(r, Future()) for r in reqs]
    app.worker._run_batch(jobs)
    replies = [f.result(timeout=60) for _, f in jobs]
    assert app.worker.batches == before + 1
    assert [r.timings.get("batch_size") for r in replies] == [3, 3, 3, None]
    alone = app.chat.reply(reqs[1].context, reqs[1].settings)
    assert [c.token_ids for c in replies[1].candidates] == [c.token_ids for c in alone.candidates]
