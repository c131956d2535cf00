"""Serve an exported model as an OpenAI-compatible chat-completions endpoint (sample-and-rank).

    python -m training.serve --model runs/tiny/export [--host 127.0.0.1] [--port 8001] [--settings S.json]
        [--set num_candidates=8 --set ranking=pt ...] [--max-batch 8] [--device cpu]

POST /v1/chat/completions (OpenAI's request and response, "stream": true for SSE; the candidates, their scores,
the dropped ones and the research steps in the extra "lamda" field), GET /v1/models, GET /health. Bad flags, a
missing or damaged export, or settings the model cannot honour print one line and exit 2 (docs/inference.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from training.errors import TrainInputError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.exit(EXIT_USER_ERROR, f"error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m training.serve", description="OpenAI-compatible server (docs/inference.md).")
    p.add_argument("--model", required=True, help="export dir written by training (<out>/export)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001, help="0 = any free port (printed)")
    p.add_argument("--settings", help="JSON file of sample-and-rank settings (RankSettings fields)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help='one setting, e.g. ranking="pt"')
    p.add_argument("--max-batch", type=int, default=8, help="queued requests the worker takes at a time")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def load_settings(path: str | None, sets: list[str]):
    from training.inference.ranking.settings import RankSettings

    d: dict = {}
    if path:
        try:
            d = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise TrainInputError(f"{path}: cannot read the settings JSON ({exc})") from None
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep:
            raise TrainInputError(f"--set {item!r}: use KEY=VALUE, e.g. --set num_candidates=8")
        try:
            d[key] = json.loads(raw)
        except ValueError:
            d[key] = raw  # a bare string: --set ranking=pt
    d.setdefault("ranking", "auto")  # as the platform's local backend: discriminators when the model has them
    try:
        return RankSettings.from_dict(d)
    except ValueError as exc:
        raise TrainInputError(f"settings: {exc}") from None


def build(args):
    from training.inference import ChatModel
    from training.inference.ranking.sample_rank import resolve_ranking
    from training.inference.serving.server import make_server

    settings = load_settings(args.settings, args.set)
    if args.max_batch < 1:
        raise TrainInputError(f"--max-batch must be >= 1, got {args.max_batch}")
    chat = ChatModel.load(args.model, device=args.device)
    resolve_ranking(settings, chat.has_discriminator, chat.discriminator_why, chat.model_id)  # refuse up front
    return make_server(chat, settings, host=args.host, port=args.port, max_batch=args.max_batch)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        server = build(args)
    except TrainInputError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except OSError as err:  # port in use, bad host
        print(f"error: cannot listen on {args.host}:{args.port} ({err.strerror or err})", file=sys.stderr)
        return EXIT_USER_ERROR
    server.verbose = args.verbose
    host, port = server.server_address[:2]
    print(f"serving {args.model} on http://{host}:{port}/v1 (POST /v1/chat/completions, GET /health)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
