"""Filter a dialog corpus with a model's own discriminators and write the kept turns as a snapshot.

    python -m training.filter --model runs/ft/export --data CORPUS --out SNAPSHOT_DIR
        [--set safety_threshold=0.8 --set min_sensible=0.5 ...] [--batch-size 64] [--no-progress]

CORPUS: a dataset snapshot dir (its generative examples are the turns), a JSONL file with one dialog per line
({"turns": [str, ...]} or a list of strings; each turn gets up to --max-context-turns earlier turns as context),
or `demo[:N]` (the chitchat demo corpus, first N dialogs). Every turn is scored in large batches, the ones above
every threshold are written with training.format.io.write_snapshot as generative examples, and the report (how
many turns each threshold removed) is printed and saved as <out>.filter/report.json. Killed, the same command
resumes from the last finished chunk. Bad input: one line, exit 2 (docs/inference.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from training.errors import TrainInputError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.exit(EXIT_USER_ERROR, f"error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m training.filter", description="Discriminator corpus filter (docs/inference.md).")
    p.add_argument("--model", required=True, help="export dir of a model fine-tuned for discrimination")
    p.add_argument("--data", required=True, help="snapshot dir, dialogs JSONL, or demo[:N]")
    p.add_argument("--out", required=True, help="snapshot dir to write (must not exist)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a FilterSettings field")
    p.add_argument("--batch-size", type=int, help="turns per forward (default 64)")
    p.add_argument("--max-context-turns", type=int, default=4, help="dialog JSONL / demo: context turns per turn")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--crash-after-chunks", type=int, help=argparse.SUPPRESS)  # tests: a kill at a known point
    return p


def _dialog_turns(dialogs: dict[str, list[str]], max_context: int):
    from training.data.corpus import dialog_examples

    return list(dialog_examples(dialogs, max_context_turns=max_context))


def _jsonl_dialogs(path: Path) -> dict[str, list[str]]:
    dialogs = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as exc:
            raise TrainInputError(f"{path}:{n}: malformed JSON ({exc}); fix or remove the line") from None
        turns = d.get("turns") if isinstance(d, dict) else d
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise TrainInputError(f'{path}:{n}: a dialog must be {{"turns": [non-empty strings]}} or such a list')
        dialogs[str(d.get("id", n)) if isinstance(d, dict) else str(n)] = turns
    return dialogs


def load_turns(data: str, max_context: int) -> list:
    from training.format.io import load_snapshot

    if data == "demo" or data.startswith("demo:"):
        from training.data.corpus import load_chitchat_dialogs

        n = data.partition(":")[2]
        if n and not n.isdigit():
            raise TrainInputError(f"--data {data}: use demo or demo:N (N dialogs)")
        return _dialog_turns(load_chitchat_dialogs(max_dialogs=int(n) if n else None), max_context)
    path = Path(data)
    if path.is_dir():
        return load_snapshot(path).examples["generative"]
    if path.is_file():
        return _dialog_turns(_jsonl_dialogs(path), max_context)
    raise TrainInputError(f"{data}: no such corpus; pass a snapshot dir, a dialogs JSONL file or demo[:N]")


def filter_settings(args):
    from training.inference.filter_corpus import FilterSettings

    d = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep:
            raise TrainInputError(f"--set {item!r}: use KEY=VALUE, e.g. --set min_sensible=0.6")
        try:
            d[key] = json.loads(raw)
        except ValueError:
            raise TrainInputError(f"--set {item!r}: the value must be a number") from None
    if args.batch_size is not None:
        d["batch_size"] = args.batch_size
    try:
        return FilterSettings.from_dict(d)
    except ValueError as exc:
        raise TrainInputError(f"settings: {exc}") from None


def run(args) -> dict:
    from tqdm import tqdm

    from training.format.io import write_snapshot
    from training.inference import ChatModel
    from training.inference.filter_corpus import WorkDir, fingerprint, report, run_filter

    settings, out = filter_settings(args), Path(args.out)
    if out.exists():
        raise TrainInputError(f"{out}: already exists (snapshots are immutable); choose another --out")
    turns = load_turns(args.data, args.max_context_turns)
    if not turns:
        raise TrainInputError(f"{args.data}: holds no dialog turns to filter")
    chat = ChatModel.load(args.model, device=args.device)
    if not chat.has_discriminator:
        raise TrainInputError(
            f"model {chat.model_id!r} was never fine-tuned for discrimination ({chat.discriminator_why}), so it "
            "cannot score turns; fine-tune it on a snapshot with discriminative examples first"
        )
    needed = {"safety_threshold": "UNSAFE", "min_sensible": "SENSIBLE", "min_specific": "SPECIFIC"}
    needed["min_interesting"] = "INTERESTING"
    noise = [f"{name} (its model never trained on {attr})" for name, attr in needed.items()
             if getattr(settings, name) > 0 and attr in chat.untrained]  # fmt: skip
    if noise:
        raise TrainInputError(
            f"model {chat.model_id!r} would filter by scores it never learned: {', '.join(noise)}; set them to 0 "
            "with --set, or fine-tune on those labels first"
        )
    work = WorkDir(out.with_name(out.name + ".filter"), fingerprint(turns, chat.model_version, settings), settings)
    crash = (lambda k: os._exit(137) if k + 1 >= args.crash_after_chunks else None) if args.crash_after_chunks else None
    with tqdm(total=len(turns), unit="turn", disable=args.no_progress, desc="scoring") as bar:
        rows, resumed = run_filter(chat.model, chat.tokenizer, turns, settings, work, progress=bar, after_chunk=crash)
    kept, rep = report(turns, rows, settings)
    rep.update(resumed_chunks=resumed, model=chat.model_id, model_version=chat.model_version, data=args.data)
    source = {"name": "training.filter", "model": chat.model_id, "model_version": chat.model_version,
              "data": args.data, "filter": settings.to_dict()}  # fmt: skip
    (work.path / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    if not kept:
        raise TrainInputError(
            f"{args.data}: the thresholds removed every one of its {len(turns)} turns, so there is no snapshot to "
            f"write (report: {work.path / 'report.json'}); lower the thresholds with --set"
        )
    write_snapshot(out, [turns[i] for i in kept], source=source)
    return rep


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        rep = run(args)
    except TrainInputError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    print(json.dumps({k: rep[k] for k in ("turns", "kept", "failed_threshold", "removed_by_first_failed")}))
    print(f"kept {rep['kept']} of {rep['turns']} turns -> {args.out} (report: {args.out}.filter/report.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
