"""Serving: replies/s and latency percentiles with 8 concurrent clients against `training.serve`'s HTTP server.

    python benchmarks/serve_latency.py [--clients 8] [--requests 48] [--candidates 16] [--max-new 16] [--threads 1]

The tiny preset (random init, marked as a discriminator so every request samples 16 candidates and scores them on
4 attributes) behind the real ThreadingHTTPServer on a free port; --clients threads each POST
/v1/chat/completions (a demo context of up to 4 turns) until --requests replies came back. Baseline, same run:
the same requests through ChatModel.reply in-process, one after another (no HTTP, no queue, no cross-request
batching). Prints replies/s,
p50/p99 latency; the LAST line is the ratio server replies/s / in-process replies/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from benchmarks.infer_common import cpu_name, tiny_export  # noqa: E402
from training.inference import ChatModel, RankSettings  # noqa: E402
from training.inference.serving.server import make_server  # noqa: E402


def post(port: int, body: dict) -> float:
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"server answered {resp.status}: {data[:200]!r}")
    return time.perf_counter() - t


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=48)
    p.add_argument("--candidates", type=int, default=16)
    p.add_argument("--max-new", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    export, turns = tiny_export(threads=args.threads)
    chat = ChatModel.load(export, device="cpu")
    settings = RankSettings(num_candidates=args.candidates, max_new_tokens=args.max_new, safety_threshold=0.0)
    contexts = [t.context + [t.response] for t in turns[: args.requests]]
    bodies = [{"messages": [{"role": "user", "content": c} for c in ctx], "seed": i} for i, ctx in enumerate(contexts)]
    chat.reply(contexts[0], settings)  # warm-up
    t = time.perf_counter()
    direct = []
    for i, ctx in enumerate(contexts):
        s = time.perf_counter()
        chat.reply(ctx, settings.replace(seed=i))
        direct.append(time.perf_counter() - s)
    direct_rate = len(contexts) / (time.perf_counter() - t)
    server = make_server(chat, settings, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    post(port, bodies[0])  # warm-up
    t = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        lat = list(pool.map(lambda b: post(port, b), bodies))
    served_rate = len(bodies) / (time.perf_counter() - t)
    worker = server.RequestHandlerClass.app.worker
    server.shutdown()
    print(f"cpu ({cpu_name()}), {args.threads} torch thread(s); tiny preset, {args.candidates} candidates x "
          f"{args.max_new} new tokens, 4 attributes scored; {len(bodies)} requests")  # fmt: skip
    print(f"in-process, sequential: {direct_rate:6.2f} replies/s, p50 {statistics.median(direct) * 1000:.0f} ms, "
          f"p99 {pct(direct, 0.99) * 1000:.0f} ms")  # fmt: skip
    print(f"server, {args.clients} clients:     {served_rate:6.2f} replies/s, "
          f"p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p99 {pct(lat, 0.99) * 1000:.0f} ms (latency includes queueing behind the other clients)")  # fmt: skip
    print(f"server worker: {worker.served} replies, {worker.batches} decode batches of several requests")
    print(f"server / in-process replies/s: {served_rate / direct_rate:.2f}x")


if __name__ == "__main__":
    main()
