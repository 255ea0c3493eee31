#!/usr/bin/env python3
"""The parts of scripts/bench/open-streams.sh that speak HTTP or measure (python3 stdlib only).

  worker  an SSE worker whose streams stay open and nearly idle: a streamed chat completion gets its
          headers and a first content chunk at once, then one chunk every --chunk-secs until
          --max-secs, then the final chunk and [DONE]. A non-streamed one is answered at once (the
          latency probe). GET /_stats: {"open", "opened", "closed"} streams; /health, /v1/models.
          (`smg mock-worker` paces every chunk, the first too, at gen-ms / stream-chunks, and makes a
          non-streamed answer wait the whole gen-ms: it cannot hold idle streams and answer probes.)
  run     opens streams through the router in steps and measures the router at each (below); one
          JSON document on stdout, progress on stderr.
  report  the Markdown tables of that JSON.

At each step of `run`: the streams are opened (at most --open-conc opening at once; a stream counts
as open once its first content chunk has come through the router), the worker must report the same
number open, then after --settle seconds: `jcmd GC.run`, `jcmd GC.heap_info` (used = live heap,
committed), VmRSS and Threads from /proc/PID/status, `jcmd GC.class_histogram` (kept per step), then
--probes sequential non-streamed chat completions, each on a new connection (p50, p90).
"""
import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time

import http1  # scripts/bench/http1.py: reading HTTP/1.1 messages (the script's folder is on sys.path)

MODEL = "mock-model"


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- worker -----------------------------------------------------------------------------------

class Worker:
    def __init__(self, chunk_secs, max_secs):
        self.chunk_secs = chunk_secs
        self.max_secs = max_secs
        self.open = self.opened = self.closed = 0

    async def serve(self, reader, writer):
        try:
            while True:  # keep-alive: the router pools its connections to workers
                line = await reader.readline()
                if not line:
                    return
                parts = line.split()
                if len(parts) < 2:
                    return
                method, path = parts[0].decode(), parts[1].decode()
                headers = await http1.read_headers(reader)
                body = await http1.read_body(reader, headers)
                if method == "POST" and path.endswith("/chat/completions"):
                    request = json.loads(body or b"{}")
                    if request.get("stream"):
                        await self.stream(writer)
                        return
                    await send_json(writer, 200, completion(request))
                elif path == "/_stats":
                    await send_json(writer, 200, {"open": self.open, "opened": self.opened, "closed": self.closed})
                elif path == "/health":
                    await send_json(writer, 200, {"status": "ok"})
                elif path == "/v1/models":
                    await send_json(writer, 200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
                else:
                    await send_json(writer, 404, {"error": {"message": "not found", "code": 404}})
        except (ConnectionError, asyncio.IncompleteReadError, json.JSONDecodeError):
            pass
        finally:
            writer.close()

    async def stream(self, writer):
        self.open += 1
        self.opened += 1
        try:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            sid = f"chatcmpl-{self.opened}"
            started = time.monotonic()
            index = 0
            while True:
                delta = {"role": "assistant", "content": "tok "} if index == 0 else {"content": "tok "}
                write_chunk(writer, sse(chunk(sid, delta, None)))
                await writer.drain()
                index += 1
                if time.monotonic() - started + self.chunk_secs > self.max_secs:
                    break
                await asyncio.sleep(self.chunk_secs)
            write_chunk(writer, sse(chunk(sid, {}, "stop")) + sse("[DONE]"))
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            self.closed += 1


def chunk(sid, delta, finish):
    return json.dumps({"id": sid, "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def completion(request):
    return {"id": "chatcmpl-probe", "object": "chat.completion", "created": int(time.time()), "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}}


def sse(data):
    return f"data: {data}\n\n".encode()


def write_chunk(writer, data):
    writer.write(b"%x\r\n%s\r\n" % (len(data), data))


async def send_json(writer, status, value):
    body = json.dumps(value).encode()
    reason = {200: "OK", 404: "Not Found"}.get(status, "X")
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
    await writer.drain()


async def worker_main(args):
    w = Worker(args.chunk_secs, args.max_secs)
    server = await asyncio.start_server(w.serve, "127.0.0.1", args.port, backlog=4096)
    log(f"sse worker on 127.0.0.1:{args.port}: a chunk every {args.chunk_secs} s, streams end after {args.max_secs} s")
    async with server:
        await server.serve_forever()


# --- client and measurements --------------------------------------------------------------------

def request_bytes(port, body):
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class Streams:
    """The client side: streams held open through the router, each reading whatever comes."""

    def __init__(self, port, prompt_bytes):
        self.port = port
        self.prompt_bytes = prompt_bytes
        self.tasks = []
        self.writers = []
        self.failed = 0
        self.bytes_in = 0
        self.count = 0

    async def open_one(self, i, ready):
        writer = None
        try:
            prompt = (f"hold stream {i} " + "x" * self.prompt_bytes)[: max(self.prompt_bytes, 16)]
            body = json.dumps({"model": MODEL, "stream": True,
                               "messages": [{"role": "user", "content": prompt}]}).encode()
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writers.append(writer)
            writer.write(request_bytes(self.port, body))
            await writer.drain()
            line = await reader.readline()
            if b" 200 " not in line:
                raise ConnectionError(f"status {line[:60]!r}")
            seen = b""
            while b"data:" not in seen:  # headers, then the first content chunk through the router
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("closed before the first chunk")
                seen += data
            self.bytes_in += len(seen)
            ready.set_result(True)
            while True:  # keep reading, so the router's writes never back up
                data = await reader.read(65536)
                if not data:
                    return
                self.bytes_in += len(data)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure of one stream is counted, not fatal
            self.failed += 1
            if not ready.done():
                ready.set_result(False)
            if self.failed <= 5:
                log(f"stream {i} failed: {e!r}")
        finally:
            if writer is not None:
                writer.close()

    async def open(self, n, conc, deadline):
        """Opens n more streams, at most conc being opened at once; True for each that came up."""
        sem = asyncio.Semaphore(conc)
        results = []

        async def one(i):
            async with sem:
                ready = asyncio.get_running_loop().create_future()
                self.tasks.append(asyncio.create_task(self.open_one(i, ready)))
                try:
                    results.append(await asyncio.wait_for(ready, max(1.0, deadline - time.monotonic())))
                except asyncio.TimeoutError:
                    results.append(False)

        start = self.count
        self.count += n
        await asyncio.gather(*(one(start + k) for k in range(n)))
        return sum(results)

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for w in self.writers:
            w.close()
        self.tasks, self.writers = [], []


async def probe(port, body):
    """One non-streamed chat completion on a new connection: seconds from connect to the whole body."""
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes(port, body))
        await writer.drain()
        status, _, _ = await http1.read_response(reader)
        if status != 200:
            raise ConnectionError(f"probe: status {status}")
        return time.perf_counter() - t0
    finally:
        writer.close()


async def probes(port, n):
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "latency probe"}],
                       "max_tokens": 1}).encode()
    out = []
    for _ in range(n):
        out.append(await asyncio.wait_for(probe(port, body), 30))
    return out


async def http_json(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        _, _, body = await http1.read_response(reader)
        return json.loads(body)
    finally:
        writer.close()


def jcmd(args, pid, *command, timeout=120):
    r = subprocess.run([args.jcmd, str(pid), *command], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"jcmd {' '.join(command)}: {r.stdout[-300:]} {r.stderr[-300:]}")
    return r.stdout


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return {"rss_kb": int(out["VmRSS"].split()[0]), "threads": int(out["Threads"])}


def heap_info(text):
    m = re.search(r"heap\s+total(?: reserved)?\s+(\d+)K, committed (\d+)K, used (\d+)K", text)
    if not m:  # older layout: "total 123K, used 45K"
        m = re.search(r"heap\s+total (\d+)K, used (\d+)K", text)
        return {"heap_committed_kb": int(m.group(1)), "heap_used_kb": int(m.group(2))} if m else {}
    return {"heap_committed_kb": int(m.group(2)), "heap_used_kb": int(m.group(3))}


def histogram(text):
    """{class: [instances, bytes]} and the total bytes of `jcmd GC.class_histogram`."""
    classes, total = {}, 0
    for line in text.splitlines():
        m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m:
            classes[m.group(3)] = [int(m.group(1)), int(m.group(2))]
        m = re.match(r"Total\s+(\d+)\s+(\d+)", line)
        if m:
            total = int(m.group(2))
    return classes, total


async def measure(args, streams, n, deadline):
    pid = args.pid
    step = {"streams": n}
    if n > streams.count:
        new = n - streams.count
        t0 = time.monotonic()
        up = await streams.open(new, args.open_conc, deadline)
        step["open_secs"] = round(time.monotonic() - t0, 1)
        step["opened_ok"] = up
        log(f"  {up}/{new} new streams up in {step['open_secs']} s ({streams.failed} failed so far)")
    await asyncio.sleep(args.settle)
    stats = await http_json(args.worker_port, "/_stats")
    step["worker_open"] = stats["open"]
    step["client_failed"] = streams.failed
    subprocess.run([args.jcmd, str(pid), "GC.run"], capture_output=True, timeout=120, check=True)
    step.update(heap_info(jcmd(args, pid, "GC.heap_info")))
    step.update(proc_status(pid))
    classes, total = histogram(jcmd(args, pid, "GC.class_histogram"))
    with open(os.path.join(args.work, f"histogram-{n}.json"), "w") as f:
        json.dump(classes, f)
    step["histogram_total"] = total
    step["virtual_threads"] = classes.get("java.lang.VirtualThread", [0, 0])[0]
    lat = await probes(args.port, args.probes)
    step["p50_ms"] = round(statistics.median(lat) * 1000, 3)
    step["p90_ms"] = round(sorted(lat)[int(0.9 * (len(lat) - 1))] * 1000, 3)
    log(f"  {n} streams: worker sees {stats['open']} open; RSS {step['rss_kb'] / 1024:.0f} MB, live heap "
        f"{step.get('heap_used_kb', 0) / 1024:.1f} MB (histogram {total / 1048576:.1f} MB), threads "
        f"{step['threads']}, virtual threads {step['virtual_threads']}, probe p50 {step['p50_ms']} ms")
    return step


def jfr_summary(args, path, top):
    """Sampled allocation weight by class and by allocating frame, from jdk.ObjectAllocationSample."""
    r = subprocess.run([args.jfr, "print", "--json", "--stack-depth", "64", "--events", "jdk.ObjectAllocationSample",
                        path], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"jfr print: {r.stderr[-300:]}")
    events = json.loads(r.stdout)["recording"]["events"]
    by_class, by_frame, by_site, total = {}, {}, {}, 0

    def frame_name(fr):
        m = fr["method"]
        return f'{m["type"]["name"].replace("/", ".")}.{m["name"]}'

    for e in events:
        v = e["values"]
        w = v.get("weight", 0)
        total += w
        cls = (v.get("objectClass") or {}).get("name", "?")
        frames = ((v.get("stackTrace") or {}).get("frames")) or []
        top_frame = " < ".join(frame_name(fr) for fr in frames[:4]) if frames else "?"
        # The first frame outside the JDK: which of our or Helidon's code asked for the memory.
        site = next((frame_name(fr) for fr in frames
                     if not re.match(r"(java|jdk|sun)[./]", fr["method"]["type"]["name"])), "?")
        by_class[cls] = by_class.get(cls, 0) + w
        by_frame[top_frame] = by_frame.get(top_frame, 0) + w
        by_site[site] = by_site.get(site, 0) + w

    def top_of(d):
        return sorted(d.items(), key=lambda kv: -kv[1])[:top]

    return {"events": len(events), "total_bytes": total, "by_class": top_of(by_class),
            "by_stack": top_of(by_frame), "by_first_non_jdk_frame": top_of(by_site)}


async def run_main(args):
    deadline = time.monotonic() + args.time_limit
    steps = sorted(set(args.steps))
    streams = Streams(args.port, args.prompt_bytes)
    result = {"steps": [], "jfr": None}
    try:
        log(f"warm-up: {args.warmup} probes")
        await probes(args.port, args.warmup)
        for n in steps:
            log(f"step: {n} open streams")
            step = await measure(args, streams, n, deadline)
            result["steps"].append(step)
            if step["worker_open"] != n or step["client_failed"]:
                log(f"  warning: asked for {n} streams, the worker holds {step['worker_open']}, "
                    f"{step['client_failed']} failed")
            if time.monotonic() > deadline:
                raise TimeoutError("time limit reached during the steps")
        if args.jfr_streams > 0 and args.jfr:
            path = os.path.join(args.work, "open.jfr")
            log(f"JFR: allocation profile while opening {args.jfr_streams} more streams")
            try:
                jcmd(args, args.pid, "JFR.start", "name=openstreams", "settings=profile", f"filename={path}")
                t0 = time.monotonic()
                up = await streams.open(args.jfr_streams, args.open_conc, deadline)
                await asyncio.sleep(min(args.settle, 5))
                jcmd(args, args.pid, "JFR.stop", "name=openstreams")
                summary = jfr_summary(args, path, 12)
                summary.update({"streams": args.jfr_streams, "opened_ok": up,
                                "secs": round(time.monotonic() - t0, 1), "on_top_of": steps[-1]})
                result["jfr"] = summary
                log(f"  {summary['events']} allocation samples, {summary['total_bytes'] / 1048576:.0f} MB sampled weight")
            except Exception as e:  # noqa: BLE001 - the profile is optional
                log(f"  JFR skipped: {e}")
                result["jfr"] = {"error": str(e)}
    finally:
        log(f"closing all {streams.count} client streams")
        await streams.close()
        # The router learns a client left when it next writes to it (the next chunk) and should then
        # close its upstream stream: wait for the worker to see every stream closed.
        t0 = time.monotonic()
        left = None
        limit = 3 * args.chunk_secs + 15
        while time.monotonic() - t0 < limit:
            try:
                left = (await http_json(args.worker_port, "/_stats"))["open"]
            except OSError:
                break
            if left == 0:
                break
            await asyncio.sleep(1)
        result["release"] = {"worker_open_after": left, "secs": round(time.monotonic() - t0, 1), "limit_secs": limit}
        log(f"  worker streams still open: {left} after {result['release']['secs']} s")
    print(json.dumps(result, indent=1))


# --- report ---------------------------------------------------------------------------------------

def slope(xs, ys):
    """Least-squares slope of y over x."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")


def report_main(args):
    data = json.load(open(args.json))
    steps = data["steps"]
    idle = steps[0]
    last = steps[-1]
    ks = [s["streams"] / 1000 for s in steps]
    mb = 1024.0
    out = []
    out.append("| open streams | router RSS MB | live heap MB (GC.heap_info used) | histogram total MB | heap committed MB "
               "| OS threads | virtual threads | new request p50 ms (x idle) | p90 ms | time to open |")
    out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in steps:
        ratio = s["p50_ms"] / idle["p50_ms"] if idle["p50_ms"] else float("nan")
        held = "" if s["worker_open"] == s["streams"] else f" (worker holds {s['worker_open']})"
        out.append(f"| {s['streams']}{held} | {s['rss_kb'] / mb:.0f} | {s.get('heap_used_kb', 0) / mb:.1f} | "
                   f"{s['histogram_total'] / 1048576:.1f} | {s.get('heap_committed_kb', 0) / mb:.0f} | {s['threads']} | "
                   f"{s['virtual_threads']} | {s['p50_ms']:.2f} ({ratio:.2f}x) | {s['p90_ms']:.2f} | "
                   f"{str(s.get('open_secs', '-')) + ' s' if 'open_secs' in s else '-'} |")
    rss = slope(ks, [s["rss_kb"] / mb for s in steps])
    heap = slope(ks, [s.get("heap_used_kb", 0) / mb for s in steps])
    hist = slope(ks, [s["histogram_total"] / 1048576 for s in steps])
    thr = slope(ks, [s["threads"] for s in steps])
    out.append("")
    out.append("**Per 1,000 open streams** (least-squares slope over the steps):")
    out.append("")
    out.append("| measure | per 1,000 streams | per stream | issue-19 goal |")
    out.append("| --- | ---: | ---: | --- |")
    out.append(f"| router RSS | **{rss:.1f} MB** | {rss * 1.024:.1f} KB | ≤ 40 MB |")
    out.append(f"| live heap after a full GC (GC.heap_info used) | **{heap:.1f} MB** | {heap * 1.024:.1f} KB | ≤ 20 MB |")
    out.append(f"| live heap (class histogram total) | {hist:.1f} MB | {hist * 1.024:.1f} KB | |")
    out.append(f"| OS threads | {thr:.1f} | | |")
    out.append(f"| new request p50 at {last['streams']} streams vs idle | "
               f"{last['p50_ms']:.2f} ms vs {idle['p50_ms']:.2f} ms = {last['p50_ms'] / idle['p50_ms']:.2f}x | | ≤ 1.2x at 10,000 |")
    fails = sum(1 for s in steps if s["worker_open"] != s["streams"]) or last["client_failed"]
    if fails:
        out.append("")
        out.append(f"**Warning:** not every stream asked for was held (client failures: {last['client_failed']}); "
                   "see the table.")
    rel = data.get("release") or {}
    out.append("")
    out.append(f"After the client closed all its streams, the worker saw {rel.get('worker_open_after')} of its streams "
               f"still open {rel.get('secs')} s later (the router learns a client left when it next writes to it, "
               f"so up to a chunk interval or two).")

    # class histogram at the largest step vs idle
    n = last["streams"]
    big = json.load(open(os.path.join(args.work, f"histogram-{n}.json")))
    base = json.load(open(os.path.join(args.work, f"histogram-{idle['streams']}.json")))
    out.append("")
    out.append(f"### Where the bytes go: `jcmd GC.class_histogram` at {n} streams")
    out.append("")
    out.append(f"Top 10 classes by bytes at {n} open streams; *per stream* = (bytes at {n} − bytes with "
               f"{idle['streams']} streams) / {n}.")
    out.append("")
    out.append("| # | class | instances | MB | instances per stream | bytes per stream |")
    out.append("| ---: | --- | ---: | ---: | ---: | ---: |")
    top = sorted(big.items(), key=lambda kv: -kv[1][1])[:10]
    shown = 0
    for i, (cls, (inst, byts)) in enumerate(top, 1):
        b0 = base.get(cls, [0, 0])
        per = (byts - b0[1]) / n if n else 0
        shown += byts - b0[1]
        out.append(f"| {i} | `{cls}` | {inst} | {byts / 1048576:.1f} | {(inst - b0[0]) / n:.1f} | {per:,.0f} |")
    grown = sum(v[1] for v in big.values()) - sum(v[1] for v in base.values())
    out.append("")
    out.append(f"These 10 classes hold {shown / max(grown, 1) * 100:.0f}% of the heap's growth from "
               f"{idle['streams']} to {n} streams ({grown / n / 1024:.1f} KB per stream in all).")
    growth = sorted(((cls, v[1] - base.get(cls, [0, 0])[1], v[0] - base.get(cls, [0, 0])[0]) for cls, v in big.items()),
                    key=lambda t: -t[1])[:10]
    out.append("")
    out.append("Top 10 by growth per stream (the same figures, sorted by what each open stream adds):")
    out.append("")
    out.append("| # | class | instances per stream | bytes per stream |")
    out.append("| ---: | --- | ---: | ---: |")
    for i, (cls, d, di) in enumerate(growth, 1):
        out.append(f"| {i} | `{cls}` | {di / n:.1f} | {d / n:,.0f} |")

    jfr = data.get("jfr")
    if jfr and "error" not in jfr:
        out.append("")
        out.append(f"### Allocation profile (JFR) while opening {jfr['streams']} more streams")
        out.append("")
        out.append(f"`jcmd PID JFR.start settings=profile` while {jfr['streams']} streams were opened on top of "
                   f"{jfr['on_top_of']} ({jfr['secs']} s), then `jfr print --events jdk.ObjectAllocationSample`: "
                   f"{jfr['events']} samples, {jfr['total_bytes'] / 1048576:.0f} MB of estimated allocation "
                   f"({jfr['total_bytes'] / max(jfr['streams'], 1) / 1024:.0f} KB per stream opened; allocated, "
                   "mostly garbage, not the live heap above; JFR's own work, e.g. `jdk.internal.classfile`, is in it too). "
                   "Sample weights summed:")
        out.append("")
        for title, key in (("allocated class", "by_class"), ("first frame outside the JDK (who asked)", "by_first_non_jdk_frame"),
                           ("top 4 frames of the allocating stack", "by_stack")):
            out.append(f"| {title} | MB | share |")
            out.append("| --- | ---: | ---: |")
            for name, w in jfr[key][:8]:
                name = name.replace("/", ".")
                out.append(f"| `{name}` | {w / 1048576:.1f} | {w / max(jfr['total_bytes'], 1) * 100:.0f}% |")
            out.append("")
    elif jfr:
        out.append("")
        out.append(f"JFR allocation profile: not taken ({jfr['error'][:200]}).")
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--chunk-secs", type=float, default=20)
    w.add_argument("--max-secs", type=float, default=1800)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True, help="the router's HTTP port")
    r.add_argument("--pid", type=int, required=True, help="the router's JVM")
    r.add_argument("--worker-port", type=int, required=True)
    r.add_argument("--steps", type=int, nargs="+", required=True)
    r.add_argument("--settle", type=float, default=10)
    r.add_argument("--probes", type=int, default=50)
    r.add_argument("--warmup", type=int, default=1000)
    r.add_argument("--open-conc", type=int, default=200)
    r.add_argument("--prompt-bytes", type=int, default=64)
    r.add_argument("--chunk-secs", type=float, default=20)
    r.add_argument("--jcmd", required=True)
    r.add_argument("--jfr", default="")
    r.add_argument("--jfr-streams", type=int, default=0)
    r.add_argument("--work", required=True)
    r.add_argument("--time-limit", type=float, default=480)
    rep = sub.add_parser("report")
    rep.add_argument("json")
    rep.add_argument("--work", required=True)
    args = p.parse_args()
    if args.cmd == "worker":
        asyncio.run(worker_main(args))
    elif args.cmd == "run":
        asyncio.run(run_main(args))
    else:
        report_main(args)


if __name__ == "__main__":
    main()
