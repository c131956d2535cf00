"""What a run reports, rank 0 only: a tqdm progress bar, TensorBoard scalars (`<out>/tb`) and `<out>/metrics.jsonl`.

metrics.jsonl gets one JSON line per optimizer step (step, loss, lr, grad_norm, tokens, tokens_per_s, mfu, and
after an evaluation its val/... metrics; "skipped" when a guard skipped the step); the kill-and-resume test compares
these losses. On resume, lines after the resumed step (written by the killed run) are
dropped and TensorBoard purges its events after that step, so both logs show one continuous curve.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

METRICS_FILE = "metrics.jsonl"


def truncate_metrics(path: Path, upto_step: int) -> None:
    """Keep only records with step <= upto_step (called on resume, rank 0)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line).get("step", 0) <= upto_step:
                kept.append(line)
        except ValueError:  # a half-written last line from a killed run
            continue
    path.write_text("".join(k + "\n" for k in kept))


def read_metrics(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _fmt_rate(x: float) -> str:
    return f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


class RunLogger:
    """Progress bar + TensorBoard + JSONL. A no-op on ranks other than 0."""

    def __init__(
        self,
        out: Path,
        *,
        total_steps: int,
        start_step: int,
        log_every: int,
        enabled: bool = True,
        progress: bool = True,
        peak_note: str = "",
    ) -> None:
        self.enabled, self.log_every = enabled, log_every
        self._bar = self._tb = self._jsonl = None
        self._window: list[tuple[float, int]] = []  # (seconds, tokens) of the last steps, for a smooth tokens/s
        if not enabled:
            return
        out.mkdir(parents=True, exist_ok=True)
        truncate_metrics(out / METRICS_FILE, start_step)
        self._jsonl = open(out / METRICS_FILE, "a")
        from torch.utils.tensorboard import SummaryWriter  # imported lazily: it is slow to import

        self._tb = SummaryWriter(str(out / "tb"), purge_step=start_step + 1 if start_step else None)
        if progress:
            self._bar = tqdm(
                total=total_steps,
                initial=start_step,
                desc="train",
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
                # in a log file (no terminal) every refresh is a new line: refresh rarely there
                mininterval=0.1 if sys.stderr.isatty() else 15.0,
            )
        if peak_note:
            self.write(peak_note)

    def tokens_per_s(self, seconds: float, tokens: int) -> float:
        """Throughput over the last up to 20 steps (the first step includes warm-up, so it is noisy)."""
        self._window = (self._window + [(seconds, tokens)])[-20:]
        total_s = sum(s for s, _ in self._window)
        return sum(t for _, t in self._window) / total_s if total_s > 0 else 0.0

    def log_step(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._jsonl.write(json.dumps(_strict_json(record), allow_nan=False) + "\n")
        self._jsonl.flush()
        step = record["step"]
        if step % self.log_every == 0 or step == 1:
            for key in ("loss", "lr", "grad_norm", "tokens_per_s", "mfu"):
                value = record.get(key)
                if value is not None and math.isfinite(value):
                    self._tb.add_scalar(f"train/{key}", value, step)
            for key, value in record.items():
                if key.startswith("loss/"):
                    self._tb.add_scalar(f"train/{key}", value, step)
        for key, value in record.items():  # validation metrics: whenever an evaluation ran (val/loss, val/auc/...)
            if key.startswith("val/") and value is not None and math.isfinite(value):
                self._tb.add_scalar(key, value, step)
        if record.get("skipped"):
            self._tb.add_scalar("train/skipped_step", 1.0, step)
        if self._bar is None and (step % self.log_every == 0 or step == 1):  # plain log lines (no TTY, CI)
            mfu = record.get("mfu")
            print(
                f"step {step} loss {record['loss']:.4f} tok/s {_fmt_rate(record['tokens_per_s'])} "
                f"mfu {'n/a' if mfu is None else f'{100 * mfu:.1f}%'}",
                file=sys.stderr,
                flush=True,
            )
        if self._bar is not None:
            mfu = record.get("mfu")
            self._bar.set_postfix_str(
                f"loss={record['loss']:.3f} tok/s={_fmt_rate(record['tokens_per_s'])} "
                f"mfu={'n/a' if mfu is None else f'{100 * mfu:.1f}%'}",
                refresh=False,
            )
            self._bar.update(1)

    def write(self, message: str) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        for thing in (self._bar, self._tb, self._jsonl):
            if thing is not None:
                thing.close()
        self._bar = self._tb = self._jsonl = None


def _strict_json(record: dict[str, Any]) -> dict[str, Any]:
    """NaN and inf (a bad step's loss) as null: metrics.jsonl stays strict JSON that any parser reads."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
