"""Training tokens/s of the tiny preset with and without document masking, on the same packed demo-corpus batches.

    python benchmarks/train_doc_mask.py                       # CPU, reference backend, ~1 minute on 2 cores
    python benchmarks/train_doc_mask.py --device cuda          # flex backend (BlockMask from document ids)

Two identical models (same init) train side by side in one process, alternating step by step on the same batches
(the tiny run's shape: 16 rows of 128 tokens from the first 300 demo dialogs, its own 4K tokenizer): one attends
across the packed examples of a row (the trainer before document masking), one block-causally by document.
Forward + backward + AdamW step, each timed on its own; the median step is reported. The last line is the ratio
"masked / unmasked" of median tokens/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from training.data.batches import TokenBatches  # noqa: E402
from training.data.corpus import dialog_texts, load_chitchat_dialogs  # noqa: E402
from training.data.tokenizer import train_tokenizer  # noqa: E402
from training.model.config import tiny  # noqa: E402
from training.run.loop import micro_batch_loss  # noqa: E402
from training.run.parallel import build_model  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--steps", type=int, default=20, help="timed steps per variant")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--dialogs", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dialogs = load_chitchat_dialogs(max_dialogs=args.dialogs)
    tok = train_tokenizer(dialog_texts(dialogs), tempfile.mkdtemp(), vocab_size=4096, num_threads=args.threads)
    cfg = tiny().replace(vocab_size=tok.vocab_size)
    batches = TokenBatches.from_demo_corpus(
        tok, seq_len=args.seq_len, global_batch_size=args.batch, max_dialogs=args.dialogs, seed=0
    )
    models, opts = {}, {}
    for name in ("unmasked", "masked"):
        models[name] = build_model(cfg, device=device, seed=0)
        opts[name] = torch.optim.AdamW(models[name].parameters(), lr=1e-3)
    times: dict[str, list[float]] = {name: [] for name in models}
    docs_per_row = []
    for i in range(args.warmup + args.steps):
        batch = next(batches).to(device)
        docs_per_row.append(float(batch.doc_ids.max(dim=1).values.float().mean()))
        denom = torch.tensor(float(batch.global_loss_tokens), device=device)
        for name, model in models.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            loss, _ = micro_batch_loss(model, batch, denom=denom, document_mask=name == "masked")
            loss.backward()
            opts[name].step()
            opts[name].zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= args.warmup:
                times[name].append(time.perf_counter() - start)
    tokens = args.batch * args.seq_len
    print(
        f"tiny preset, {args.batch} x {args.seq_len} tokens, device {args.device}, backend "
        f"{'flex' if device.type == 'cuda' else 'reference'}, threads {torch.get_num_threads()}, "
        f"{statistics.mean(docs_per_row):.1f} examples per row"
    )
    median = {name: tokens / statistics.median(t) for name, t in times.items()}
    for name, tps in median.items():
        print(f"{name:>9}: median {tps:9.0f} tokens/s  (best step {tokens / min(times[name]):9.0f})")
    print(f"ratio masked / unmasked tokens/s (median steps): {median['masked'] / median['unmasked']:.3f}")


if __name__ == "__main__":
    main()
