#!/usr/bin/env python3
"""Streamed chat load for scripts/bench/load-sharing.sh (Python 3 standard library only).

Open loop (--rate R): Poisson arrivals at R requests per second (given their count: exactly
R x --duration in the measured window); each request goes to one of the
--targets (router ports) picked at random, its "front". Closed loop (--concurrency N): N clients,
client i always sending to target i mod len(targets), the next request as soon as the previous
answer is complete (to measure what the targets can serve: point them at the engines themselves).

Every request is a streamed chat completion (`"stream": true`) of a random --prompt-words prompt
(words drawn from a seeded vocabulary, so different prompts share no prefix) with --max-tokens.
TTFT is the time from the request's scheduled arrival (open loop; the moment it is sent, closed
loop) to the first SSE event with delta content; e2e to the end of the stream ([DONE]). Arrival
times, prompts and fronts depend only on --seed, so configurations with the same number of
targets get the same load.

With --engines (engine ports), a sampler GETs every engine's /v1/loads every --sample-ms and
records num_running_reqs + num_waiting_reqs per engine; imbalance = mean over the samples taken in
the measured window of (max / mean across engines), samples whose mean is 0 skipped.

Measured window: requests scheduled in [--warmup, --warmup + --duration) for latencies, errors and
shares; throughput = requests whose stream completed within the window / --duration. The worker
that answered is X-Mock-Worker (the routers relay it) or the chunks' "worker" field.
Prints one JSON object.
"""
import argparse
import asyncio
import json
import math
import random
import string
import time

from http1 import body_pieces, read_head, read_response


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--targets", required=True, help="comma-separated ports requests are sent to")
    p.add_argument("--engines", default="", help="comma-separated engine ports to sample /v1/loads from")
    p.add_argument("--rate", type=float, help="open loop: Poisson arrivals per second")
    p.add_argument("--concurrency", type=int, help="closed loop: clients at once")
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--duration", type=float, default=15)
    p.add_argument("--prompt-words", type=int, default=300)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--sample-ms", type=float, default=100)
    p.add_argument("--timeout", type=float, default=60, help="bound of one request, seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", default="mock-model")
    a = p.parse_args()
    a.targets = [int(x) for x in a.targets.split(",")]
    a.engines = [int(x) for x in a.engines.split(",") if x]
    if (a.rate is None) == (a.concurrency is None):
        p.error("give exactly one of --rate (open loop) and --concurrency (closed loop)")
    if (a.rate is not None and a.rate <= 0) or (a.concurrency is not None and a.concurrency < 1):
        p.error("--rate must be > 0, --concurrency >= 1")
    if a.duration <= 0 or a.warmup < 0 or a.prompt_words < 1 or a.max_tokens < 1:
        p.error("duration > 0, warmup >= 0, prompt words and max tokens >= 1")
    return a


def vocabulary(seed, size=5000):
    rng = random.Random(f"{seed}-vocabulary")
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))))
    return sorted(words)


class Pool:
    """Keep-alive connections to one port; a connection is reused only after a complete answer."""

    def __init__(self, port):
        self.port, self.idle = port, []

    async def connection(self):
        return self.idle.pop() if self.idle else await asyncio.open_connection("127.0.0.1", self.port)

    def release(self, conn, headers):
        if headers.get("connection", "").lower() == "close":
            conn[1].close()
        else:
            self.idle.append(conn)

    def close(self):
        for _, writer in self.idle:
            writer.close()
        self.idle = []


async def stream_chat(pool, body, start, record):
    """Sends one streamed chat completion and fills record: ttft, e2e (from start), worker."""
    conn = await pool.connection()
    reader, writer = conn
    try:
        writer.write((f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{pool.port}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
        status, headers = await read_head(reader)
        if status != 200:
            async for _ in body_pieces(reader, headers):
                pass
            pool.release(conn, headers)
            record["error"] = f"HTTP {status}"
            return
        record["worker"] = headers.get("x-mock-worker")
        # Until the first content event, events are parsed; after it only [DONE] is looked for
        # (in the new bytes plus the tail of the earlier ones, in case it straddles two pieces).
        buffer, done = b"", False
        async for piece in body_pieces(reader, headers):
            buffer += piece
            if done:
                continue
            if "ttft" in record:
                done = b"[DONE]" in buffer
                buffer = buffer[-8:]
                continue
            while b"\n\n" in buffer and "ttft" not in record:
                event, buffer = buffer.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    data = line[5:].strip() if line.startswith(b"data:") else None
                    if data and data != b"[DONE]":
                        chunk = json.loads(data)
                        record["worker"] = record["worker"] or chunk.get("worker")
                        if ((chunk.get("choices") or [{}])[0].get("delta") or {}).get("content"):
                            record["ttft"] = time.monotonic() - start
            if "ttft" in record:
                done = b"[DONE]" in buffer
                buffer = buffer[-8:]
        if not done or "ttft" not in record:
            writer.close()
            record["error"] = "incomplete stream"
            return
        record["e2e"] = time.monotonic() - start
        record["ok"] = True
        pool.release(conn, headers)
    except BaseException:
        writer.close()
        raise


async def run(a):
    vocab = vocabulary(a.seed)
    pools = [Pool(p) for p in a.targets]
    records = []
    samples = []
    t0 = time.monotonic()
    end = a.warmup + a.duration

    def body_of(k):
        rng = random.Random(f"{a.seed}-prompt-{k}")
        prompt = " ".join(rng.choice(vocab) for _ in range(a.prompt_words))
        return json.dumps({"model": a.model, "max_tokens": a.max_tokens, "stream": True,
                           "messages": [{"role": "user", "content": prompt}]}).encode()

    async def one(k, front, scheduled):
        record = {"k": k, "front": front, "offset": scheduled - t0, "ok": False}
        records.append(record)
        record["lag"] = time.monotonic() - scheduled
        try:
            await asyncio.wait_for(stream_chat(pools[front], body_of(k), scheduled, record), a.timeout)
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            record["error"] = type(e).__name__
        record["done_at"] = time.monotonic() - t0

    async def open_loop():
        fronts = random.Random(f"{a.seed}-fronts")
        tasks = []
        for k, at in enumerate(arrival_times(a)):
            front = fronts.randrange(len(a.targets))
            delay = t0 + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k, front, t0 + at)))
        if tasks:
            await asyncio.wait(tasks, timeout=a.timeout + 5)

    async def closed_client(i):
        k = i
        while time.monotonic() - t0 < end:
            await one(k, i % len(a.targets), time.monotonic())
            k += a.concurrency

    async def sampler():
        engine_pools = [Pool(p) for p in a.engines]

        async def load_of(pool):
            try:
                conn = await pool.connection()
                conn[1].write(f"GET /v1/loads HTTP/1.1\r\nHost: 127.0.0.1:{pool.port}\r\n\r\n".encode())
                status, headers, data = await asyncio.wait_for(read_response(conn[0]), 2)
                pool.release(conn, headers)
                loads = json.loads(data)["loads"]
                return sum(int(x.get("num_running_reqs", 0)) + int(x.get("num_waiting_reqs", 0)) for x in loads)
            except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
                    KeyError):
                pool.idle.clear()
                return None

        step = a.sample_ms / 1000
        n = 0
        while True:
            n += 1
            at = t0 + n * step
            if at - t0 >= end:
                break
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            values = await asyncio.gather(*(load_of(p) for p in engine_pools))
            samples.append({"offset": time.monotonic() - t0, "values": values})
        for p in engine_pools:
            p.close()

    tasks = [asyncio.create_task(open_loop())] if a.rate is not None else \
        [asyncio.create_task(closed_client(i)) for i in range(a.concurrency)]
    if a.engines:
        tasks.append(asyncio.create_task(sampler()))
    await asyncio.wait(tasks, timeout=end + a.timeout + 15)
    for p in pools:
        p.close()
    return summarize(a, records, samples)


def arrival_times(a):
    """Poisson arrivals at --rate, conditioned on their count: round(rate x warmup) in the warm-up and
    round(rate x duration) in the measured window, each set uniform over its span (which is what a
    Poisson process is, given its count). So the window gets exactly the offered rate, not a draw
    that may be several percent off it, and bursts are still those of Poisson arrivals."""
    rng = random.Random(f"{a.seed}-arrivals")
    times = []
    for start, span in ((0.0, a.warmup), (a.warmup, a.duration)):
        times += sorted(start + rng.random() * span for _ in range(round(a.rate * span)))
    return times


def percentile(values, q):
    """Nearest rank; None without values."""
    if not values:
        return None
    values = sorted(values)
    return values[max(0, math.ceil(q * len(values)) - 1)]


def summarize(a, records, samples):
    lo, hi = a.warmup, a.warmup + a.duration
    window = [r for r in records if lo <= r["offset"] < hi]
    ok = [r for r in window if r["ok"]]
    errors = {}
    for r in window:
        if not r["ok"]:
            kind = r.get("error", "unfinished")  # still running when the client gave up waiting
            errors[kind] = errors.get(kind, 0) + 1
    completed = [r for r in records if r["ok"] and lo <= r["done_at"] < hi]
    per_worker, per_front = {}, {}
    for r in ok:
        w = r.get("worker") or "?"
        per_worker[w] = per_worker.get(w, 0) + 1
        f = per_front.setdefault(str(r["front"]), {})
        f[w] = f.get(w, 0) + 1
    completed_per_worker = {}
    for r in completed:
        w = r.get("worker") or "?"
        completed_per_worker[w] = completed_per_worker.get(w, 0) + 1
    ratios, missed = [], 0
    in_window = [s for s in samples if lo <= s["offset"] < hi]
    for s in in_window:
        if None in s["values"]:
            missed += 1
            continue
        mean = sum(s["values"]) / len(s["values"])
        if mean > 0:
            ratios.append(max(s["values"]) / mean)
    engine_means = None
    if in_window and a.engines:
        full = [s["values"] for s in in_window if None not in s["values"]]
        if full:
            engine_means = [sum(v[i] for v in full) / len(full) for i in range(len(a.engines))]
    ttft = [r["ttft"] for r in ok]
    e2e = [r["e2e"] for r in ok]
    return {
        "mode": "open" if a.rate is not None else "closed",
        "offered_rate": a.rate, "concurrency": a.concurrency, "window_s": a.duration,
        "sent": len(window), "sent_rate": len(window) / a.duration, "ok": len(ok), "errors": sum(errors.values()), "error_kinds": errors,
        "throughput": len(completed) / a.duration,
        "ttft_p50": percentile(ttft, 0.50), "ttft_p99": percentile(ttft, 0.99),
        "e2e_p50": percentile(e2e, 0.50), "e2e_p99": percentile(e2e, 0.99),
        "client_lag_p99": percentile([r["lag"] for r in window], 0.99),
        "imbalance": sum(ratios) / len(ratios) if ratios else None,
        "samples": len(in_window), "samples_used": len(ratios), "samples_missed": missed,
        "engine_mean_queue": engine_means,
        "per_worker": dict(sorted(per_worker.items())),
        "per_front_worker": {f: dict(sorted(v.items())) for f, v in sorted(per_front.items())},
        "completed_per_worker": dict(sorted(completed_per_worker.items())),
    }


def main():
    a = parse_args()
    print(json.dumps(asyncio.run(run(a))))


if __name__ == "__main__":
    main()
