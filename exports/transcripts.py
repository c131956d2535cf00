"""Read transcript files for import (docs/import.md): our JSONL and ParlAI's Conversations JSONL, one dialog per
line. Yields (line number, dialog id, [(speaker, text)]) or a problem for that line; never raises for bad content
(the import lists every problem), only for a file that is not UTF-8 text at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from exports.spec import ExportInputError

FORMATS = ("jsonl", "parlai")
MAX_LINE_CHARS = 5_000_000


@dataclass
class Dialog:
    line: int
    source_id: str
    turns: list[tuple[str, str]]  # (speaker as in the file, text)


@dataclass
class Problem:
    line: int
    dialog: str
    reason: str


def _content_id(turns: list[tuple[str, str]]) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(turns, ensure_ascii=False).encode()).hexdigest()[:32]


def _turns_jsonl(obj: dict) -> list[tuple[str, str]] | str:
    turns = obj.get("turns")
    if not isinstance(turns, list):
        return 'no "turns" list'
    out = []
    for t in turns:
        if not isinstance(t, dict) or not isinstance(t.get("speaker"), str) or not isinstance(t.get("text"), str):
            return 'every turn needs "speaker" and "text" strings'
        out.append((t["speaker"], t["text"]))
    return out


def _turns_parlai(obj: dict) -> list[tuple[str, str]] | str:
    dialog = obj.get("dialog")
    if not isinstance(dialog, list):
        return 'no "dialog" list (ParlAI Conversations format)'
    out = []
    for group in dialog:
        for utt in group if isinstance(group, list) else [group]:
            if not isinstance(utt, dict) or not isinstance(utt.get("id"), str) or not isinstance(utt.get("text"), str):
                return 'every utterance needs "id" (the speaker) and "text" strings'
            out.append((utt["id"], utt["text"]))
    return out


def read_dialogs(raw: bytes, fmt: str) -> Iterator[Dialog | Problem]:
    if fmt not in FORMATS:
        raise ExportInputError(f"Format '{fmt}' is not one of {', '.join(FORMATS)}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ExportInputError(
            f"The file is not UTF-8 text (line {line}); save it as UTF-8 and import again."
        ) from None
    parse = _turns_jsonl if fmt == "jsonl" else _turns_parlai
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            yield Problem(n, "", f"line longer than {MAX_LINE_CHARS:,} characters")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(n, "", f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield Problem(n, "", "a line must be a JSON object")
            continue
        turns = parse(obj)
        given = obj.get("id", obj.get("dialog_id"))
        if isinstance(turns, str):
            yield Problem(n, str(given or ""), turns)
            continue
        source_id = str(given) if given not in (None, "") else _content_id(turns)
        yield Dialog(n, source_id[:200], turns)
