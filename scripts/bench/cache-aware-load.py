#!/usr/bin/env python3
"""Open-loop load generator for scripts/bench/cache-aware.sh (Python 3 standard library only).

Requests arrive as a Poisson process at a fixed rate, whatever the server does (open loop): each
arrival is a streaming chat completion whose system prompt is one of GROUPS long shared prompts
(chosen uniformly at random) followed by a short user question unique to the request. HTTP/1.1 is
spoken directly over asyncio streams, one connection per request, chunked transfer decoding and SSE
parsing included, so that time to first token is the arrival of the first SSE event.

Arrivals during the first WARMUP seconds fill the caches and are not counted; those in the next
DURATION seconds are measured. After the last arrival, in-flight requests get DRAIN seconds to
finish; what is left then is cancelled and reported as unfinished. In-flight requests are capped at
--max-inflight; an arrival over the cap is not sent and counts as an error ("client: in-flight cap").

With --affinity-ports instead of --port the client skips the gateway and sends every request of
group g straight to worker g mod N: perfect prefix affinity, a reference to compare policies with.

Prints one JSON object with the measured figures on stdout.
"""
import argparse
import asyncio
import json
import random
import resource
import string
import sys
import time

from http1 import read_head

MAX_EVENT_BYTES = 1 << 20
MAX_ERROR_BODY = 4096


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--port", type=int, help="the gateway's port")
    target.add_argument("--affinity-ports", help="comma-separated worker ports; group g goes to port g mod N")
    p.add_argument("--rate", type=float, required=True, help="arrivals per second")
    p.add_argument("--warmup", type=float, default=20.0, help="seconds of arrivals not measured")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of measured arrivals")
    p.add_argument("--drain", type=float, default=30.0, help="seconds to let in-flight requests finish")
    p.add_argument("--groups", type=int, default=32)
    p.add_argument("--system-words", type=int, default=400)
    p.add_argument("--user-words", type=int, default=12)
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--max-inflight", type=int, default=2000)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds one request may take")
    p.add_argument("--model", default="mock-model")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.rate <= 0 or a.duration <= 0 or a.groups < 1 or a.max_tokens < 1 or a.max_inflight < 1:
        p.error("rate, duration, groups, max-tokens and max-inflight must be positive")
    a.ports = [int(x) for x in a.affinity_ports.split(",")] if a.affinity_ports else [a.port]
    return a


def vocabulary(seed, size=5000):
    rng = random.Random(f"{seed}-vocabulary")
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def percentile(values, q):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


class Body:
    """The response body as it arrives: chunked, Content-Length or up to EOF."""

    def __init__(self, reader, headers):
        self.reader = reader
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self.remaining = int(length) if length is not None and not self.chunked else None
        self.finished = False

    async def read(self):
        """Next piece of the body, b"" at its end."""
        if self.finished:
            return b""
        if self.chunked:
            size_line = await self.reader.readline()
            if not size_line:
                raise ConnectionError("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.finished = True
                return b""
            data = await self.reader.readexactly(size)
            await self.reader.readexactly(2)  # CRLF after the chunk
            return data
        if self.remaining is not None:
            if self.remaining == 0:
                self.finished = True
                return b""
            data = await self.reader.read(min(self.remaining, 65536))
            if not data:
                raise ConnectionError("connection closed before Content-Length bytes")
            self.remaining -= len(data)
            return data
        data = await self.reader.read(65536)
        if not data:
            self.finished = True
        return data


async def stream_chat(host, port, body):
    """Sends one streaming chat completion; returns (ttft_s, events, last usage chunk, worker)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        start = time.monotonic()
        writer.write((f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode("ascii") + body)
        await writer.drain()
        status, headers = await read_head(reader)
        body_in = Body(reader, headers)
        if status != 200:
            text = b""
            while len(text) < MAX_ERROR_BODY:
                piece = await body_in.read()
                if not piece:
                    break
                text += piece
            raise HttpError(status, text[:200].decode("utf-8", "replace"))
        ttft = None
        events = 0
        usage_chunk = None
        worker = None
        done = False
        buffer = b""
        while not done:
            piece = await body_in.read()
            if not piece:
                break
            buffer += piece
            if len(buffer) > MAX_EVENT_BYTES:
                raise ConnectionError("SSE event larger than 1 MiB")
            while b"\n\n" in buffer and not done:
                event, buffer = buffer.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    if not line.startswith(b"data:"):
                        continue
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        done = True
                        break
                    if ttft is None:
                        ttft = time.monotonic() - start
                    events += 1
                    if b'"usage"' in data:
                        usage_chunk = data
        if not done:
            raise ConnectionError("stream ended without [DONE]")
        chunk = json.loads(usage_chunk) if usage_chunk else {}
        worker = chunk.get("worker")
        return ttft, events, chunk.get("usage"), worker
    finally:
        writer.close()


class HttpError(Exception):
    def __init__(self, status, text):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.text = text


async def run(args):
    vocab = vocabulary(args.seed)
    prompts = []
    for g in range(args.groups):
        rng = random.Random(f"{args.seed}-group-{g}")
        prompts.append(" ".join(rng.choice(vocab) for _ in range(args.system_words)))
    arrivals_rng = random.Random(f"{args.seed}-arrivals")
    question_rng = random.Random(f"{args.seed}-questions")

    results = []
    tasks = set()
    t0 = time.monotonic()

    async def one(index, offset, group, question):
        record = {"offset": offset, "group": group, "ok": False}
        results.append(record)
        body = json.dumps({
            "model": args.model, "stream": True, "max_tokens": args.max_tokens,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "system", "content": prompts[group]},
                         {"role": "user", "content": f"Question {index}: {question}"}],
        }).encode("utf-8")
        try:
            port = args.ports[group % len(args.ports)]
            ttft, events, usage, worker = await asyncio.wait_for(stream_chat(args.host, port, body), args.timeout)
            record["end"] = time.monotonic() - t0
            if not usage:
                record["error"] = "no usage in the stream"
                return
            record.update(ok=True, ttft=ttft, events=events, worker=worker,
                          prompt_tokens=int(usage.get("prompt_tokens", 0)),
                          completion_tokens=int(usage.get("completion_tokens", 0)),
                          cached_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)))
        except HttpError as e:
            record["error"] = f"HTTP {e.status}"
            record["detail"] = e.text
        except asyncio.TimeoutError:
            record["error"] = f"timeout after {args.timeout:g}s"
        except asyncio.CancelledError:
            record["error"] = "unfinished at the end of the drain"
            raise
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
            record["error"] = type(e).__name__
            record["detail"] = str(e)[:200]

    end_of_arrivals = args.warmup + args.duration
    offset = 0.0
    index = 0
    lags = []
    while True:
        offset += arrivals_rng.expovariate(args.rate)
        if offset >= end_of_arrivals:
            break
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, -delay))
        group = arrivals_rng.randrange(args.groups)
        question = " ".join(question_rng.choice(vocab) for _ in range(max(0, args.user_words - 2)))
        index += 1
        if len(tasks) >= args.max_inflight:
            results.append({"offset": offset, "group": group, "ok": False, "error": "client: in-flight cap"})
            continue
        task = asyncio.create_task(one(index, offset, group, question))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        _, pending = await asyncio.wait(set(tasks), timeout=args.drain)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return summarize(args, results, lags)


def summarize(args, results, lags):
    start, end = args.warmup, args.warmup + args.duration
    window = [r for r in results if start <= r["offset"] < end]
    ok = [r for r in window if r["ok"]]
    errors = {}
    for r in window:
        if not r["ok"]:
            errors[r["error"]] = errors.get(r["error"], 0) + 1
    completed_in_window = [r for r in results if r["ok"] and start <= r["end"] < end]
    prompt = sum(r["prompt_tokens"] for r in ok)
    cached = sum(r["cached_tokens"] for r in ok)
    ttfts = [r["ttft"] * 1000 for r in ok if r.get("ttft") is not None]
    per_worker = {}
    for r in ok:
        per_worker[r["worker"] or "?"] = per_worker.get(r["worker"] or "?", 0) + 1
    details = sorted({r["detail"] for r in window if r.get("detail")})[:5]
    return {
        "offered_rate": args.rate,
        "window_s": args.duration,
        "arrivals": len(window),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "error_details": details,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "hit_ratio": cached / prompt if prompt else 0.0,
        "throughput_rps": len(completed_in_window) / args.duration,
        "output_tps": sum(r["completion_tokens"] for r in completed_in_window) / args.duration,
        "ttft_p50_ms": percentile(ttfts, 50),
        "ttft_p99_ms": percentile(ttfts, 99),
        "per_worker": dict(sorted(per_worker.items())),
        "arrival_lag_p99_ms": (percentile(lags, 99) or 0.0) * 1000,
        "mean_prompt_tokens": prompt / len(ok) if ok else 0.0,
        "events_per_request": sum(r["events"] for r in ok) / len(ok) if ok else 0.0,
        "client_cpu_s": (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_SELF)),
    }


def main():
    args = parse_args()
    summary = asyncio.run(run(args))
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
