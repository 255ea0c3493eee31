#!/usr/bin/env python3
"""Update driver and cross-check for scripts/bench/convergence.sh (Python 3 standard library only).

Applies K updates on one router, one every SPACING ms (or as soon as the previous one was seen
everywhere, if that took longer), and after each polls the other routers as fast as one client can
until every one of them shows it. Kinds of update:
  workers     POST /workers {"url": <a new fake worker URL>} on the first router; visible on another
              router when GET /ha/workers/<id> answers 200
  rate-limit  POST /ha/rate-limit {"limit_per_second": <a new value>}; visible when GET /ha/rate-limit
              answers that value (routers re-read the limit every 100 ms, so this includes that tick)
Before and after, it scrapes every router's /metrics: router_mesh_convergence_ms (the routers' own
histogram of origin-to-arrival time, wall clocks; one host, so they agree), router_mesh_bytes_total
and router_mesh_sync_bytes_total. Prints one JSON object.
"""
import argparse
import http.client
import json
import re
import time
import uuid

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--origin", type=int, required=True, help="HTTP port of the router the updates are applied on")
    p.add_argument("--others", required=True, help="comma-separated HTTP ports of the routers to watch")
    p.add_argument("--metrics", required=True, help="comma-separated metrics ports of every router")
    p.add_argument("--kind", choices=["workers", "rate-limit"], default="workers")
    p.add_argument("--updates", type=int, default=100)
    p.add_argument("--spacing-ms", type=float, default=50)
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for one update everywhere")
    a = p.parse_args()
    if a.updates < 1 or a.spacing_ms < 0:
        p.error("updates must be >= 1 and spacing-ms >= 0")
    a.others = [int(x) for x in a.others.split(",")]
    a.metrics = [int(x) for x in a.metrics.split(",")]
    return a


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after an error."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                headers = {"Content-Type": "application/json"} if body is not None else {}
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def scrape(port):
    """{(name, labels): value} of the mesh metrics this benchmark reads."""
    status, body = Client(port).request("GET", "/metrics")
    if status != 200:
        raise RuntimeError(f"GET /metrics on :{port} answered {status}")
    samples = {}
    for line in body.decode("utf-8", "replace").splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1).startswith(("router_mesh_convergence_ms", "router_mesh_bytes_total",
                                        "router_mesh_sync_bytes_total")):
            samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return samples


def label(labels, name):
    m = re.search(name + r'="([^"]*)"', labels)
    return m.group(1) if m else None


def histogram_delta(before, after):
    """Cumulative bucket counts {le: count} of router_mesh_convergence_ms added between two scrapes."""
    buckets = {}
    for (name, labels), value in after.items():
        if name == "router_mesh_convergence_ms_bucket":
            le = label(labels, "le")
            buckets[le] = buckets.get(le, 0) + value - before.get((name, labels), 0)
    return buckets


def bytes_delta(before, after):
    sent = received = snapshot = 0.0
    for (name, labels), value in after.items():
        d = value - before.get((name, labels), 0)
        if name == "router_mesh_bytes_total":
            if label(labels, "direction") == "sent":
                sent += d
            else:
                received += d
        elif name == "router_mesh_sync_bytes_total":
            snapshot += d
    return sent, received, snapshot


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, -(-len(ordered) * q // 100)) - 1]


def main():
    a = parse_args()
    origin = Client(a.origin)
    watchers = {port: Client(port) for port in a.others}
    before = [scrape(p) for p in a.metrics]
    run = uuid.uuid4().hex[:6]
    every, each, polls, missed = [], [], 0, 0
    per_update = []  # every update's "visible at every node" time in ms, None if never (for the chart)
    start = time.monotonic()
    for i in range(a.updates):
        slot = start + i * a.spacing_ms / 1000
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.monotonic()
        if a.kind == "workers":
            # 10.x addresses nobody listens on: the routers run without health checks, so they stay.
            url = f"http://10.{200 + i // 65536 % 50}.{i // 256 % 256}.{i % 256}:8000"
            status, body = origin.request("POST", "/workers", json.dumps({"url": url, "labels": {"run": run}}))
            if status != 202:
                raise RuntimeError(f"POST /workers answered {status}: {body[:200]!r}")
            path = "/ha/workers/" + json.loads(body)["worker_id"]
            seen = lambda s, b: s == 200
        else:
            value = 1000 + i + (0.5 if i % 2 else 0)
            status, body = origin.request("POST", "/ha/rate-limit", json.dumps({"limit_per_second": value}))
            if status != 200:
                raise RuntimeError(f"POST /ha/rate-limit answered {status}: {body[:200]!r}")
            path = "/ha/rate-limit"
            seen = lambda s, b, v=value: s == 200 and json.loads(b).get("limit_per_second") == v
        pending = dict(watchers)
        deadline = t0 + a.timeout
        last = 0.0
        while pending and time.monotonic() < deadline:
            for port, client in list(pending.items()):
                status, body = client.request("GET", path)
                polls += 1
                if seen(status, body):
                    at = time.monotonic() - t0
                    each.append(at * 1000)
                    last = max(last, at)
                    del pending[port]
        if pending:
            missed += 1
        else:
            every.append(last * 1000)
        per_update.append(None if pending else last * 1000)
    elapsed = time.monotonic() - start
    after = [scrape(p) for p in a.metrics]
    histogram = {}
    for b, af in zip(before, after):
        for le, count in histogram_delta(b, af).items():
            histogram[le] = histogram.get(le, 0) + count
    sent, received, snapshot = 0.0, 0.0, 0.0
    for b, af in zip(before, after):
        s, r, sn = bytes_delta(b, af)
        sent, received, snapshot = sent + s, received + r, snapshot + sn
    print(json.dumps({
        "kind": a.kind, "updates": a.updates, "spacing_ms": a.spacing_ms, "elapsed_s": elapsed,
        "polls": polls, "missed": missed,
        "every_p50_ms": percentile(every, 50), "every_p99_ms": percentile(every, 99),
        "every_max_ms": max(every) if every else None, "every_ms": per_update,
        "each_p50_ms": percentile(each, 50), "each_p99_ms": percentile(each, 99),
        "histogram": histogram,
        "bytes_sent": sent, "bytes_received": received, "sync_bytes_sent": snapshot,
    }))


if __name__ == "__main__":
    main()
