import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from toolset.translator import (
    DictionaryBackend,
    DictionaryError,
    LibreTranslateBackend,
    Translator,
    parse_request,
)


@pytest.fixture(scope="module")
def dictionary():
    return DictionaryBackend.from_file()


@pytest.mark.parametrize(
    ("query", "text", "target"),
    [
        ("hello in French", "hello", "fr"),
        ("Hello in french?", "Hello", "fr"),
        ("translate thank you to Spanish", "thank you", "es"),
        ("translate into German: good night", "good night", "de"),
        ("how do you say good morning in Italian?", "good morning", "it"),
        ('"Good luck" in Portuguese', "Good luck", "pt"),
        ("what is cat food in Dutch", "cat food", "nl"),
        ("hello in français", "hello", "fr"),
    ],
)
def test_parses_translation_requests(query, text, target):
    request = parse_request(query)
    assert (request.text, request.target) == (text, target)


@pytest.mark.parametrize(
    "query",
    [
        "hello in Klingon",
        "hello in Elvish",
        "How old is Rafael Nadal?",
        "Is Nadal popular in Spain",
        "hello in English",
        "in French",
        "135+7721",
        "",
    ],
)
def test_not_a_request_or_unknown_language(query, dictionary):
    assert parse_request(query) is None
    assert Translator(dictionary).run(query) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hello in French", "Bonjour"),
        ("hello in Spanish", "Hola"),
        ("thank you in German", "Danke"),
        ("Thank you! in Italian", "Grazie"),
        ("good morning in Portuguese", "Bom dia"),
        ("where is the station in dutch", "Waar is het station?"),
    ],
)
def test_dictionary_backend_translates_whole_phrases(query, expected, dictionary):
    assert [r.text for r in Translator(dictionary).run(query)] == [expected]


def test_phrase_missing_from_dictionary_gives_nothing(dictionary):
    assert Translator(dictionary).run("the quantum chromodynamics lecture in French") == []
    assert dictionary.translate("hello", source="fr", target="es") is None
    assert dictionary.translate("hello", source="en", target="xx") is None


def test_malformed_dictionary_file_names_the_line(tmp_path):
    bad = tmp_path / "dict.tsv"
    bad.write_text("# comment\nen\tfr\nhello\tBonjour\nbroken line without tab\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"dict.tsv:4: expected 2 columns"):
        DictionaryBackend.from_file(bad)


class _FakeLibreTranslate(BaseHTTPRequestHandler):
    behaviour = "ok"
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        if self.behaviour == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"boom")
            return
        payload = (
            b"not json"
            if self.behaviour == "garbage"
            else json.dumps({"translatedText": f"<{body['target']}>{body['q']}"}).encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def libretranslate():
    server = HTTPServer(("127.0.0.1", 0), _FakeLibreTranslate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeLibreTranslate.behaviour = "ok"
    _FakeLibreTranslate.seen = []
    yield f"http://127.0.0.1:{server.server_port}", _FakeLibreTranslate
    server.shutdown()
    server.server_close()


def test_libretranslate_backend_posts_the_documented_request(libretranslate):
    url, handler = libretranslate
    translator = Translator(LibreTranslateBackend(url + "/", api_key="k"))
    assert [r.text for r in translator.run("good night in German")] == ["<de>good night"]
    assert handler.seen == [
        ("/translate", {"q": "good night", "source": "en", "target": "de", "format": "text", "api_key": "k"})
    ]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("behaviour", ["error", "garbage"])
def test_libretranslate_failures_give_no_translation(libretranslate, behaviour):
    url, handler = libretranslate
    handler.behaviour = behaviour
    assert Translator(LibreTranslateBackend(url)).run("hello in French") == []


@pytest.mark.timeout(10)
def test_libretranslate_unreachable_gives_no_translation():
    backend = LibreTranslateBackend("http://127.0.0.1:9", timeout=0.5)  # discard port: nothing listens
    assert Translator(backend).run("hello in French") == []
