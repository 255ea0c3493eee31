#!/usr/bin/env python3
"""Client side of scripts/bench/stream-failover.sh (stdlib only).

  trial   one trial: CONC concurrent streamed chat completions through smg; once every stream has
          its first content event, the victim worker is told to die (POST /_mock/die) after K more
          streamed tokens, K = TOKENS_PER_STREAM x its streams; every stream is read to its end with
          a timestamp per event. Prints one JSON line: per stream the workers it saw, the stall at
          each change of worker (last event of one worker to the first of the next, as the client
          reads them), whether it ended cleanly, and whether its text equals the uninterrupted
          answer fetched straight from the surviving worker afterwards; plus smg's stream metrics
          before and after (their difference is what smg counted in this trial).
  report  reads the JSON lines of every trial and prints the Markdown results.

The mock worker names itself in each chunk ("worker": "mock-<port>"); the relay does not rewrite
that field, so a change of it inside one stream is a migration seen by the client.
"""
import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse


def post_json(url, body, timeout=10.0):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("POST", u.path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    finally:
        conn.close()


def get_text(url, timeout=5.0):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path or "/")
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def stream_metrics(metrics_url):
    """Sums of smg's stream counters (migrations and breaks by reason) and the stall histogram."""
    out = {"migrations": {}, "breaks": {}, "stall_sum": 0.0, "stall_count": 0.0}
    if not metrics_url:
        return out
    try:
        status, text = get_text(metrics_url)
    except OSError:
        return out
    if status != 200:
        return out
    for line in text.splitlines():
        m = METRIC_LINE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        reason = re.search(r'reason="([^"]*)"', labels)
        reason = reason.group(1) if reason else "-"
        if name == "smg_stream_migrations_total":
            out["migrations"][reason] = out["migrations"].get(reason, 0) + value
        elif name == "smg_stream_breaks_total":
            out["breaks"][reason] = out["breaks"].get(reason, 0) + value
        elif name == "smg_stream_migration_stall_seconds_sum":
            out["stall_sum"] += value
        elif name == "smg_stream_migration_stall_seconds_count":
            out["stall_count"] += value
    return out


def metrics_delta(before, after):
    d = {"migrations": {}, "breaks": {}}
    for kind in ("migrations", "breaks"):
        for k, v in after[kind].items():
            diff = v - before[kind].get(k, 0)
            if diff:
                d[kind][k] = diff
    d["stall_sum"] = after["stall_sum"] - before["stall_sum"]
    d["stall_count"] = after["stall_count"] - before["stall_count"]
    return d


class Stream(threading.Thread):
    """Reads one streamed chat completion, timestamping every SSE data line."""

    def __init__(self, url, body, timeout):
        super().__init__(daemon=True)
        self.url, self.body, self.timeout = url, body, timeout
        self.events = []  # (t, worker or None, content piece or None, raw kind)
        self.status = None
        self.error = None
        self.done = False
        self.first_content = threading.Event()

    def run(self):
        u = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
        try:
            conn.request("POST", u.path, body=json.dumps(self.body),
                         headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
            resp = conn.getresponse()
            self.status = resp.status
            if resp.status != 200:
                self.error = "status %d: %s" % (resp.status, resp.read(300).decode("utf-8", "replace"))
                return
            while True:
                line = resp.readline()
                if not line:
                    break
                t = time.monotonic()
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    self.events.append((t, None, None, "done"))
                    self.done = True
                    break
                try:
                    obj = json.loads(payload)
                except ValueError:
                    self.events.append((t, None, None, "unreadable"))
                    continue
                if "error" in obj:
                    self.events.append((t, None, None, "error"))
                    self.error = "error event: %s" % json.dumps(obj["error"])[:300]
                    continue
                piece = None
                for ch in obj.get("choices") or []:
                    c = (ch.get("delta") or {}).get("content")
                    if c:
                        piece = (piece or "") + c
                self.events.append((t, obj.get("worker"), piece, "chunk", obj.get("id"),
                                    (obj.get("usage") or {}).get("completion_tokens")))
                if piece:
                    self.first_content.set()
        except (OSError, http.client.HTTPException) as e:
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self.first_content.set()  # never leave the trial waiting for a stream that failed
            conn.close()

    def summary(self):
        chunks = [e for e in self.events if e[3] == "chunk"]
        text = "".join(e[2] for e in chunks if e[2])
        workers, changes = [], []
        last = None  # (t, worker) of the previous chunk
        for e in chunks:
            t, w = e[0], e[1]
            if last is not None and w != last[1]:
                changes.append({"from": last[1], "to": w, "stall_s": t - last[0],
                                "at_event": len(workers)})
            if not workers or workers[-1] != w:
                workers.append(w)
            last = (t, w)
        ids = sorted({e[4] for e in chunks if e[4]})
        usage = [e[5] for e in chunks if e[5] is not None]
        return {"text": text, "workers": workers, "changes": changes, "done": self.done,
                "error": self.error, "ids": len(ids), "events": len(self.events),
                "completion_tokens": usage[-1] if usage else None}


def trial(args):
    smg_url = args.smg.rstrip("/") + "/v1/chat/completions"
    before = stream_metrics(args.metrics)
    bodies = []
    for i in range(args.conc):
        prompt = "stream failover %s trial %d prompt %d: tell me something long" % (args.mode, args.trial, i)
        bodies.append({"model": args.model, "messages": [{"role": "user", "content": prompt}],
                       "stream": True, "max_tokens": args.max_tokens})
    streams = [Stream(smg_url, b, args.read_timeout) for b in bodies]
    t0 = time.monotonic()
    for s in streams:
        s.start()
    deadline = t0 + args.read_timeout
    for s in streams:
        s.first_content.wait(max(0.0, deadline - time.monotonic()))
    victim_name = "mock-%d" % urllib.parse.urlsplit(args.victim).port
    victim_streams = sum(1 for s in streams
                         if any(e[3] == "chunk" and e[1] == victim_name for e in s.events[:1]))
    die_after = None
    if args.mode != "none":
        die_after = args.tokens_per_stream * max(1, victim_streams)
        status, data = post_json(args.victim.rstrip("/") + "/_mock/die",
                                 {"after_tokens": die_after, "mode": args.mode})
        if status != 200:
            print("die request failed: %d %s" % (status, data[:200]), file=sys.stderr)
    t_die = time.monotonic() - t0
    for s in streams:
        s.join(max(0.0, deadline - time.monotonic()))
    hung = sum(1 for s in streams if s.is_alive())
    after = stream_metrics(args.metrics)

    # The uninterrupted answers, straight from the surviving worker (non-streamed, same context).
    refs = [None] * len(bodies)

    def fetch(i):
        b = dict(bodies[i])
        b.pop("stream")
        try:
            status, data = post_json(args.survivor.rstrip("/") + "/v1/chat/completions", b, timeout=30)
            if status == 200:
                refs[i] = json.loads(data)["choices"][0]["message"]["content"]
        except (OSError, ValueError, KeyError, IndexError, http.client.HTTPException):
            pass
    fetchers = [threading.Thread(target=fetch, args=(i,), daemon=True) for i in range(len(bodies))]
    for f in fetchers:
        f.start()
    for f in fetchers:
        f.join(60)

    out_streams = []
    for s, ref in zip(streams, refs):
        r = s.summary()
        r["matches"] = ref is not None and r["text"] == ref
        r["reference_missing"] = ref is None
        if not r["matches"] and ref is not None:
            r["text_head"], r["ref_head"] = r["text"][:120], ref[:120]
        del r["text"]
        out_streams.append(r)
    print(json.dumps({"mode": args.mode, "trial": args.trial, "conc": args.conc, "victim": victim_name,
                      "victim_streams": victim_streams, "die_after": die_after, "die_at_s": round(t_die, 3),
                      "hung": hung, "server": metrics_delta(before, after), "streams": out_streams}))


def percentile(values, p):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def report(args):
    trials = [json.loads(line) for f in args.files for line in open(f, encoding="utf-8") if line.strip()]
    modes = [m for m in ("crash", "stall") if any(t["mode"] == m for t in trials)]
    ms = lambda x: "%.0f" % (x * 1000) if x == x else "–"
    lines = ["| mode | trials | streams | migrated streams (client) | migrations (client / smg) "
             "| stall p50 (ms) | stall p99 (ms) | stall max (ms) | smg histogram mean (ms) "
             "| text ≠ uninterrupted | broken or unfinished |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    problems = []
    for m in modes:
        ts = [t for t in trials if t["mode"] == m]
        streams = [s for t in ts for s in t["streams"]]
        stalls = [c["stall_s"] for s in streams for c in s["changes"]]
        migrated = sum(1 for s in streams if s["changes"])
        smg_mig = sum(sum(t["server"]["migrations"].values()) for t in ts)
        h_sum = sum(t["server"]["stall_sum"] for t in ts)
        h_cnt = sum(t["server"]["stall_count"] for t in ts)
        mismatch = sum(1 for s in streams if not s["matches"])
        broken = sum(1 for s in streams if not s["done"] or s["error"]) + sum(t["hung"] for t in ts)
        lines.append("| %s | %d | %d | %d | %d / %d | %s | %s | %s | %s | %d | %d |" % (
            m, len(ts), len(streams), migrated, len(stalls), smg_mig,
            ms(percentile(stalls, 50)), ms(percentile(stalls, 99)), ms(max(stalls) if stalls else float("nan")),
            ms(h_sum / h_cnt) if h_cnt else "–", mismatch, broken))
        for t in ts:
            for i, s in enumerate(t["streams"]):
                if not s["matches"] or not s["done"] or s["error"] or s["ids"] != 1:
                    problems.append("- %s trial %d stream %d: workers %s, done=%s, ids=%d, error=%s, matches=%s%s" % (
                        m, t["trial"], i, s["workers"], s["done"], s["ids"], s["error"], s["matches"],
                        (", text %r… vs %r…" % (s.get("text_head"), s.get("ref_head"))) if "text_head" in s else ""))
            if t["die_after"] is not None and not t["victim_streams"]:
                problems.append("- %s trial %d: the victim served none of the streams (nothing to migrate)" % (m, t["trial"]))
            if t["hung"]:
                problems.append("- %s trial %d: %d streams still open at the read timeout" % (m, t["trial"], t["hung"]))
            breaks = t["server"]["breaks"]
            if breaks:
                problems.append("- %s trial %d: smg counted broken streams %s" % (m, t["trial"], breaks))
    print("\n".join(lines))
    print()
    print("Per trial (victim's streams, K = the die call's after_tokens, client migrations, smg's "
          "migrations by reason, client stall p50 / max in ms):")
    print()
    print("| mode | trial | victim's streams | K | migrations (client) | smg migrations | stall p50 (ms) | stall max (ms) |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for t in trials:
        st = [c["stall_s"] for s in t["streams"] for c in s["changes"]]
        print("| %s | %d | %d | %s | %d | %s | %s | %s |" % (
            t["mode"], t["trial"], t["victim_streams"], t["die_after"], len(st),
            ", ".join("%s %d" % (k, v) for k, v in sorted(t["server"]["migrations"].items())) or "0",
            ms(percentile(st, 50)), ms(max(st) if st else float("nan"))))
    print()
    if problems:
        print("**Problems** (every stream should end with [DONE], carry one id, and equal the uninterrupted answer):")
        print()
        print("\n".join(problems))
    else:
        print("Every stream ended with `[DONE]`, carried one id, and its text equals the uninterrupted "
              "answer of the surviving worker byte for byte; smg counted no broken stream.")
    if args.json_summary:
        summary = {}
        for m in modes:
            ts = [t for t in trials if t["mode"] == m]
            stalls = [c["stall_s"] for t in ts for s in t["streams"] for c in s["changes"]]
            summary[m] = {"p50_ms": percentile(stalls, 50) * 1000, "p99_ms": percentile(stalls, 99) * 1000,
                          "migrations": len(stalls), "problems": len(problems)}
        with open(args.json_summary, "w", encoding="utf-8") as f:
            json.dump(summary, f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trial")
    t.add_argument("--smg", required=True, help="smg base URL")
    t.add_argument("--metrics", default="", help="smg's Prometheus URL (…/metrics)")
    t.add_argument("--victim", required=True, help="base URL of the worker told to die")
    t.add_argument("--survivor", required=True, help="base URL of the other worker (reference answers)")
    t.add_argument("--mode", choices=("crash", "stall", "none"), required=True)
    t.add_argument("--trial", type=int, default=0)
    t.add_argument("--conc", type=int, default=12)
    t.add_argument("--max-tokens", type=int, default=40)
    t.add_argument("--tokens-per-stream", type=int, default=5)
    t.add_argument("--model", default="mock-model")
    t.add_argument("--read-timeout", type=float, default=60.0)
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+")
    r.add_argument("--json-summary", default="")
    args = p.parse_args()
    trial(args) if args.cmd == "trial" else report(args)


if __name__ == "__main__":
    main()
