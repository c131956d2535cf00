"""Training throughput: tokens/s and MFU of a preset with the real attention backend vs. no-bias SDPA.

    python benchmarks/train_throughput.py --preset tiny --device cpu          # ~1 minute on 2 CPU cores
    python benchmarks/train_throughput.py --preset bench_0p9b --device cuda   # the issue's H100 shape

Both models are timed in the SAME process, alternating step by step (so load from other processes hits both
alike), with synthetic tokens, AdamW, forward + backward + optimizer step, each step timed on its own. Reported per
backend: tokens/s of the median step and of the best (fastest) step. The last printed line is the ratio
"<backend> / sdpa_nobias" of median tokens/s (= the MFU ratio: same FLOP count per token).
On CUDA: bf16 autocast over fp32 weights by default (or --param-dtype bf16 for bf16 weights), blocks compiled with
torch.compile (which also compiles FlexAttention), fused AdamW.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from training.model.config import MODEL_PRESETS, model_preset  # noqa: E402
from training.model.flops import cpu_gemm_rate, flops_per_token, peak_flops  # noqa: E402
from training.run.parallel import build_model, parallelize  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny", choices=sorted(MODEL_PRESETS))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    p.add_argument("--backend", default="auto", choices=["auto", "reference", "flex"])
    p.add_argument("--batch", type=int, default=None, help="sequences per step (default: 8 on CPU, 4 on CUDA)")
    p.add_argument("--seq-len", type=int, default=None, help="default: 128 on CPU, the preset's max on CUDA")
    p.add_argument("--steps", type=int, default=None, help="timed steps per backend (default: 24 CPU, 30 CUDA)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 2 CPU, 10 CUDA)")
    p.add_argument("--param-dtype", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None, help="default: on CUDA")
    p.add_argument("--activation-checkpointing", action="store_true")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = p.parse_args(argv)
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        p.error("--device cuda: CUDA is not available on this machine; use --device cpu")
    args.batch = args.batch or (4 if cuda else 8)
    args.seq_len = args.seq_len or (model_preset(args.preset).max_seq_len if cuda else 128)
    args.steps = args.steps or (30 if cuda else 24)
    args.warmup = args.warmup if args.warmup is not None else (10 if cuda else 2)
    args.compile = cuda if args.compile is None else args.compile
    for name in ("batch", "seq_len", "steps", "threads"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    return args


class Runner:
    def __init__(self, args: argparse.Namespace, backend: str) -> None:
        self.args, self.device = args, torch.device(args.device)
        cfg = model_preset(args.preset)
        torch.manual_seed(0)
        self.model = build_model(cfg, device=self.device, attention_backend=backend)
        if args.param_dtype == "bf16":
            self.model.to(torch.bfloat16)
        parallelize(
            self.model,
            fsdp=False,
            compile=args.compile,
            activation_checkpointing=args.activation_checkpointing,
        )
        cuda = self.device.type == "cuda"
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4, fused=cuda or None)
        self.ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq_len + 1), device=self.device)
        self.autocast = cuda and args.param_dtype == "fp32"

    def step(self) -> float:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            logits = self.model(self.ids[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), self.ids[:, 1:].flatten())
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return loss

    def timed_step(self) -> float:
        """Seconds for one synchronised training step."""
        self._sync()
        start = time.perf_counter()
        self.step()
        self._sync()
        return time.perf_counter() - start

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = model_preset(args.preset)
    device = torch.device(args.device)
    label = (
        f"{args.backend} ({'flex' if args.device == 'cuda' else 'reference'})"
        if args.backend == "auto"
        else (args.backend)
    )
    print(
        f"preset={args.preset} device={args.device} ({_device_name(device)}) torch={torch.__version__} "
        f"threads={torch.get_num_threads()} batch={args.batch} seq={args.seq_len} steps={args.steps} "
        f"compile={args.compile} params={args.param_dtype} ac={args.activation_checkpointing}"
    )
    runners = {label: Runner(args, args.backend), "sdpa_nobias": Runner(args, "sdpa_nobias")}
    for runner in runners.values():
        for _ in range(args.warmup):
            runner.step()
    times: dict[str, list[float]] = {name: [] for name in runners}
    gemm = (torch.randn(512, 512), torch.randn(512, 512))
    peak = peak_flops(device)
    for _ in range(args.steps):
        for name, runner in runners.items():
            times[name].append(runner.timed_step())
        if device.type == "cpu":  # re-measured between steps: the best GEMM seen in the same (shared) conditions
            peak = max(peak or 0.0, cpu_gemm_rate(*gemm))
    kind = "best measured fp32 512^3 GEMM" if device.type == "cpu" else "bf16 dense datasheet"
    print(f"model FLOPs/token={flops_per_token(cfg, args.seq_len):.4g}  peak FLOP/s={peak or 0:.4g} ({kind})")
    tokens = args.batch * args.seq_len
    median = {name: tokens / statistics.median(t) for name, t in times.items()}
    best = {name: tokens / min(t) for name, t in times.items()}
    for name in runners:
        print(
            f"{name:>22}: median {median[name]:11.0f} tokens/s  MFU {_fmt_mfu(median[name], cfg, args, peak)}"
            f"  | best step {best[name]:11.0f} tokens/s  MFU {_fmt_mfu(best[name], cfg, args, peak)}"
        )
    print(f"best-step ratio {label} / sdpa_nobias: {best[label] / best['sdpa_nobias']:.3f}")
    print(f"ratio {label} / sdpa_nobias tokens/s (median steps): {median[label] / median['sdpa_nobias']:.3f}")


def _fmt_mfu(tps: float, cfg, args: argparse.Namespace, peak: float | None) -> str:
    return f"{100 * tps * flops_per_token(cfg, args.seq_len) / peak:5.1f}%" if peak else "  n/a"


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


if __name__ == "__main__":
    main()
