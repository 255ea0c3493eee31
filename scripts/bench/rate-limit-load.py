#!/usr/bin/env python3
"""Open-loop load for scripts/bench/rate-limit.sh (Python 3 standard library only).

Sends chat completions to three (or more) routers at fixed rates: the total --rate is split across
the routers by --split (percentages), requests evenly spaced per router, whatever the answers
(open loop). Three phases, back to back:
  warm-up   --warmup s at --split (not counted: the cluster limiter learns the rates)
  steady    --duration s at --split
  switched  --switch-duration s at --switch-split (how fast the routers' shares follow)
HTTP/1.1 over asyncio streams with keep-alive connections, a pool per router (at most --max-conns
each; an arrival finding the pool exhausted is not sent and counts as "client: connection cap").
Meanwhile every --poll-ms it reads each router's GET /ha/rate-limit/stats (its share of the
cluster limit), and at the steady phase's start and end it scrapes smg_http_rate_limit_total from
each router's /metrics (the routers' own count of admitted requests, as a cross-check).
Prints one JSON object.
"""
import argparse
import asyncio
import bisect
import json
import re
import time
import urllib.request

from http1 import read_response

max_open = [0]  # most connections one pool had open at once
BODY = json.dumps({"model": "mock-model", "max_tokens": 4,
                   "messages": [{"role": "user", "content": "hello"}]}).encode()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", required=True, help="comma-separated HTTP ports of the routers")
    p.add_argument("--metrics", required=True, help="comma-separated metrics ports, same order")
    p.add_argument("--rate", type=float, required=True, help="total offered requests per second")
    p.add_argument("--split", default="70,20,10")
    p.add_argument("--switch-split", default="10,20,70")
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--switch-duration", type=float, default=10)
    p.add_argument("--max-conns", type=int, default=256)
    p.add_argument("--poll-ms", type=float, default=50)
    a = p.parse_args()
    a.ports = [int(x) for x in a.ports.split(",")]
    a.metrics = [int(x) for x in a.metrics.split(",")]
    a.split = [float(x) / 100 for x in a.split.split(",")]
    a.switch_split = [float(x) / 100 for x in a.switch_split.split(",")]
    if not (len(a.ports) == len(a.metrics) == len(a.split) == len(a.switch_split)):
        p.error("ports, metrics, split and switch-split need one entry per router")
    if a.rate <= 0 or a.duration <= 0 or a.switch_duration < 0 or a.warmup < 0:
        p.error("rate and duration must be > 0")
    return a


class Pool:
    """Keep-alive connections to one router."""

    def __init__(self, port, cap):
        self.port, self.cap, self.idle, self.open = port, cap, [], 0

    async def request(self, method, path, body=b""):
        if self.idle:
            reader, writer = self.idle.pop()
        elif self.open < self.cap:
            self.open += 1
            max_open[0] = max(max_open[0], self.open)
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.open -= 1
                raise
        else:
            return None
        try:
            writer.write((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
            status, headers, data = await read_response(reader)
        except BaseException:
            self.open -= 1
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.open -= 1
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, data


def scrape_admitted(port):
    """{decision: count} of smg_http_rate_limit_total on one router."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    counts = {}
    for line in text.splitlines():
        if line.startswith("smg_http_rate_limit_total{"):
            m = re.search(r'\{[^}]*="([^"]*)"[^}]*\}\s+(\S+)', line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + float(m.group(2))
    return counts


async def run(a):
    n = len(a.ports)
    pools = [Pool(p, a.max_conns) for p in a.ports]
    phases = [("warmup", 0.0, a.warmup, a.split), ("steady", a.warmup, a.warmup + a.duration, a.split),
              ("switched", a.warmup + a.duration, a.warmup + a.duration + a.switch_duration, a.switch_split)]
    arrivals = []
    for _, start, end, split in phases:
        for r in range(n):
            rate = a.rate * split[r]
            if rate <= 0:
                continue
            k = 0
            while start + k / rate < end:
                arrivals.append((start + k / rate, r))
                k += 1
    arrivals.sort()
    results = []  # (scheduled offset, router, status or error string)
    latencies = {}  # status: [ms]
    shares = []  # (offset, poll round, router, node_share)
    scrapes = {}
    tasks = set()
    t0 = time.monotonic() + 0.2
    end = phases[-1][2]

    async def one(offset, r):
        sent = time.monotonic()
        try:
            answer = await asyncio.wait_for(pools[r].request("POST", "/v1/chat/completions", BODY), 30)
            results.append((offset, r, "client: connection cap" if answer is None else answer[0]))
            if answer is not None:
                latencies.setdefault(answer[0], []).append((time.monotonic() - sent) * 1000)
        except asyncio.TimeoutError:
            results.append((offset, r, "timeout"))
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as e:
            results.append((offset, r, type(e).__name__))

    async def poll_shares():
        stat_pools = [Pool(p, 1) for p in a.ports]
        k = 0
        while True:
            offset = k * a.poll_ms / 1000
            if offset > end:
                return
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            k += 1
            for r in range(n):
                try:
                    answer = await asyncio.wait_for(stat_pools[r].request("GET", "/ha/rate-limit/stats"), 2)
                    if answer and answer[0] == 200:
                        shares.append((time.monotonic() - t0, k, r, json.loads(answer[1])["node_share"]))
                except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                    pass

    async def scrape_at(name, offset):
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        scrapes[name] = await asyncio.gather(*(asyncio.to_thread(scrape_admitted, m) for m in a.metrics))

    scrapes["start"] = await asyncio.gather(*(asyncio.to_thread(scrape_admitted, m) for m in a.metrics))
    background = [asyncio.create_task(poll_shares())]
    lags = []
    for offset, r in arrivals:
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, -delay))
        task = asyncio.create_task(one(offset, r))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(set(tasks), timeout=35)
    await asyncio.gather(*background)
    scrapes["end"] = await asyncio.gather(*(asyncio.to_thread(scrape_admitted, m) for m in a.metrics))
    summary = summarize(a, phases, results, shares, scrapes, lags)
    summary["latency_ms"] = {str(k): {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)}
                             for k, v in latencies.items()}
    summary["max_open_connections"] = max_open[0]
    return summary


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, -(-len(ordered) * q // 100)) - 1]


def summarize(a, phases, results, shares, scrapes, lags):
    n = len(a.ports)
    end = phases[-1][2]
    seconds = int(end + 0.999)
    # admitted_by_router: the same count split by router, for the chart of the shares over time.
    per_second = [{"second": s, "admitted": 0, "limited": 0, "other": 0, "admitted_by_router": [0] * n}
                  for s in range(seconds)]
    for offset, r, status in results:
        row = per_second[min(seconds - 1, int(offset))]
        row["admitted" if status == 200 else "limited" if status == 429 else "other"] += 1
        if status == 200:
            row["admitted_by_router"][r] += 1
    out = {"rate": a.rate, "split": a.split, "switch_split": a.switch_split, "per_second": per_second,
           "arrival_lag_p99_ms": (percentile(lags, 99) or 0) * 1000, "phases": {}}
    for name, start, stop, split in phases[1:]:
        if stop <= start:
            continue
        window = [(o, r, s) for o, r, s in results if start <= o < stop]
        admitted = [(o, r) for o, r, s in window if s == 200]
        others = {}
        for _, _, s in window:
            if s not in (200, 429):
                others[str(s)] = others.get(str(s), 0) + 1
        per_router = [sum(1 for _, r in admitted if r == i) for i in range(n)]
        # Busiest one-second window, sliding in 50 ms steps over the phase.
        times = sorted(o for o, _ in admitted)
        best, t = 0, start
        while t + 1 <= stop + 1e-9:
            best = max(best, bisect.bisect_left(times, t + 1) - bisect.bisect_left(times, t))
            t += 0.05
        out["phases"][name] = {
            "seconds": stop - start, "offered": len(window), "admitted": len(admitted),
            "limited": sum(1 for _, _, s in window if s == 429), "other": others,
            "admitted_rate": len(admitted) / (stop - start), "max_1s_window": best,
            "per_router_admitted": per_router,
            "per_router_share": [c / len(admitted) if admitted else 0 for c in per_router],
            "target_share": split,
        }
    # How fast the shares followed the switch: the first poll round after it in which every
    # router's own share is within 0.05 of the new split, and how many later rounds were too.
    switch_at, switch_end = phases[2][1], phases[2][2]
    if switch_end > switch_at:
        target = a.switch_split
        rounds = {}
        for t, k, r, s in shares:
            if t >= switch_at:
                rounds.setdefault(k, {})[r] = (t, s)
        complete = [rounds[k] for k in sorted(rounds) if len(rounds[k]) == n]
        on = [all(abs(rd[r][1] - target[r]) <= 0.05 for r in range(n)) for rd in complete]
        first = next((i for i, x in enumerate(on) if x), None)
        out["share_settle_s"] = None if first is None else max(x[0] for x in complete[first].values()) - switch_at
        out["share_on_target_after"] = None if first is None else sum(on[first:]) / len(on[first:])
        # What the client saw: admitted shares in the first second after the switch and after it.
        for key, lo, hi in (("shares_first_second", switch_at, switch_at + 1), ("shares_after", switch_at + 1, switch_end)):
            counts = [0] * n
            for o, r, s in results:
                if s == 200 and lo <= o < hi:
                    counts[r] += 1
            out[key] = [c / sum(counts) if sum(counts) else None for c in counts]
    # The routers' own count of admitted requests over the whole run, against the client's 200s.
    out["router_admitted_total"] = [e.get("allowed", 0) - s.get("allowed", 0)
                                    for s, e in zip(scrapes["start"], scrapes["end"])]
    out["client_admitted_total"] = sum(1 for _, _, s in results if s == 200)
    return out


def main():
    a = parse_args()
    print(json.dumps(asyncio.run(run(a))))


if __name__ == "__main__":
    main()
