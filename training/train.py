"""Command line of the trainer.

    python -m training.train --preset tiny [--out DIR] [--data SNAPSHOT ...] [--mixture generative=1,...]
    python -m training.train --nproc-per-node N --preset tiny ...   (N local ranks; one-line errors)
    torchrun --nproc-per-node N -m training.train --preset tiny ...   (also multi-node)
    python manage.py train --preset tiny ...          (thin Django command calling main(argv))

User-fixable problems (unknown preset, bad dataset, corrupt checkpoint, tokenizer mismatch) print ONE line to
stderr, leave no partial checkpoint behind, and exit with code 2. See docs/training.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from training.errors import TrainInputError
from training.run.train_config import RUN_PRESETS, TrainConfig, parse_mixture, parse_overrides, run_preset

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of the whole usage block
        self.exit(EXIT_USER_ERROR, f"error: {message}; see {self.prog} --help\n")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = _Parser(prog=prog or "python -m training.train", description="Train a LaMDA-style decoder (docs/training.md).")
    p.add_argument("--preset", default="tiny", help=f"run preset: {', '.join(RUN_PRESETS)} (default tiny)")
    p.add_argument("--out", help="run dir for checkpoints, logs and export (default runs/<preset>)")
    p.add_argument("--run-name", help="model_id of the export (default: the preset name)")
    p.add_argument("--data", action="append", metavar="SNAPSHOT_DIR", help="dataset snapshot dir (repeatable)")
    p.add_argument("--mixture", help="weights per example kind, e.g. generative=1,discriminative=1,research=0.5")
    p.add_argument("--demo-dialogs", type=int, help="use only the first N demo-corpus dialogs")
    p.add_argument("--truncate-long", action="store_true", help="drop examples longer than --seq-len")
    p.add_argument("--tokenized-dir", help="where tokenised shards go (default: beside each snapshot)")
    p.add_argument("--val-share", type=float, help="held out for validation without an exporter split (0.02)")
    p.add_argument("--val-max-examples", type=int, help="validation examples evaluated per kind (500)")
    p.add_argument("--eval-every", type=int, help="evaluate every N steps and at the last one; 0 = never (100)")
    p.add_argument("--init-from", help="checkpoint dir, run dir or export dir to fine-tune from")
    p.add_argument("--tokenizer", help="existing tokenizer dir (default: train one, or take --init-from's)")
    p.add_argument("--vocab-size", type=int, help="vocab size when a tokenizer is trained")
    p.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE", help="model config override")
    p.add_argument("--steps", type=int)
    p.add_argument("--seq-len", type=int)
    p.add_argument("--batch-size", type=int, help="global batch size in sequences")
    p.add_argument("--micro-batch-size", type=int, help="sequences per rank per forward (grad accumulation)")
    p.add_argument("--lr", type=float)
    p.add_argument("--warmup-steps", type=int)
    p.add_argument("--schedule", choices=["cosine", "constant"])
    p.add_argument("--schedule-steps", type=int, help="horizon of the cosine (default --steps; a resume keeps its own)")
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--grad-clip", type=float)
    p.add_argument("--ckpt-every", type=int)
    p.add_argument("--keep-checkpoints", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--on-bad-step", choices=["stop", "skip"], help="non-finite loss/grad or spike: stop (default)")
    p.add_argument("--loss-spike", type=float, metavar="FACTOR", help="bad step: loss > FACTOR x recent median")
    p.add_argument("--max-skips", type=int, help="with --on-bad-step skip: skip at most N bad steps in a row")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto (default), cpu or cuda")
    p.add_argument("--attention-backend", choices=["auto", "reference", "flex"])
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument(
        "--document-mask",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="packed examples attend only within themselves (default on)",
    )
    p.add_argument("--activation-checkpointing", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--no-export", action="store_true", help="skip the final export")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (metrics.jsonl is still written)")
    p.add_argument(
        "--nproc-per-node",
        type=int,
        metavar="N",
        help="start N ranks on this machine (FSDP2; like torchrun --standalone, but a user error stays one line)",
    )
    return p


def launch(nproc: int, argv: Sequence[str]) -> int:
    """Run `python -m training.train ARGV` on `nproc` local ranks through torchrun's launcher, in this process.

    torchrun answers any failed rank with its own traceback (ChildFailedError) under our one-line error; here the
    failure is caught and the ranks' exit code returned (2 bad input, 3 halted by a guard): the user sees only
    rank 0's line. Multi-node runs still use `torchrun --nnodes ...` directly (docs/training.md).
    """
    import logging

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # what torchrun sets, without its warning
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # its per-rank failure log lines

    args = torchrun.parse_args(["--standalone", f"--nproc-per-node={nproc}", "-m", "training.train", *argv])
    try:
        torchrun.run(args)
    except ChildFailedError as exc:
        codes = [f.exitcode for f in exc.failures.values()]
        return max((c for c in codes if c > 0), default=1)
    return 0


def _without_nproc(argv: Sequence[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc-per-node":
            skip = True
        elif not arg.startswith("--nproc-per-node="):
            out.append(arg)
    return out


_DIRECT = (
    "out run_name demo_dialogs init_from tokenizer vocab_size steps seq_len batch_size micro_batch_size lr "
    "schedule_steps tokenized_dir val_share val_max_examples eval_every "
    "warmup_steps schedule weight_decay grad_clip ckpt_every keep_checkpoints log_every seed device on_bad_step "
    "loss_spike max_skips "
    "attention_backend compile activation_checkpointing document_mask"
).split()


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    cfg = run_preset(args.preset)
    for name in _DIRECT:
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.data:
        cfg.data = list(args.data)
    if args.mixture:
        cfg.mixture = parse_mixture(args.mixture)
    if args.model_arg:
        cfg.model_overrides = {**cfg.model_overrides, **parse_overrides(args.model_arg)}
    cfg.truncate_long = cfg.truncate_long or args.truncate_long
    cfg.export = cfg.export and not args.no_export
    cfg.validate()
    return cfg


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Parse, train, export. Returns the exit code (0, or 2 for a user-fixable problem)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args(argv)  # bad flags: one line, exit 2
    if args.nproc_per_node is not None and "LOCAL_RANK" not in os.environ:
        if args.nproc_per_node < 1:
            print(f"error: --nproc-per-node must be >= 1 (got {args.nproc_per_node})", file=sys.stderr)
            return EXIT_USER_ERROR
        if args.nproc_per_node > 1:
            return launch(args.nproc_per_node, _without_nproc(argv))
    rank = int(os.environ.get("RANK", "0"))
    try:
        cfg = config_from_args(args)
        from training.run.loop import train  # imported here so that `--help` and flag errors stay fast

        train(cfg, progress=not args.no_progress)
    except TrainInputError as err:  # also TrainingHalted (exit code 3)
        if rank == 0 or "LOCAL_RANK" not in os.environ:
            print(f"error: {err}", file=sys.stderr, flush=True)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume from the last checkpoint", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
