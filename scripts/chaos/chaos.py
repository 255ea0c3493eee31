#!/usr/bin/env python3
"""Load generator and cluster checks for scripts/chaos (python3 standard library only).

Nodes are given as NAME=HOST:PORT (the node's HTTP port), workers as their base URLs.

  load     fixed-rate load: RPS chat completions per second, each to a random router; a request
           that fails to connect, times out or gets a 503 is retried once on another router (what
           nginx does with `proxy_next_upstream error timeout http_503`). Runs until --stop-file
           exists or --max-seconds pass; writes a JSON summary to --out.
  wait     polls every node (every --interval s) until a condition holds; prints the seconds since
           --since (epoch seconds, default: now) and exits 0, or exits 1 after --timeout seconds
           with the last views on stderr (--answer-node N / --answer-url U: prints two numbers, the
           seconds until N first answered /ha/status (U answered 200), then until the condition
           held; --go-file F: start
           polling only once F exists, --since read from it). Conditions:
             converged           every node answers, sees every node ALIVE, and every node's
                                 /ha/status (names+statuses) and /ha/workers (URL set) agree
                                 and hold --workers (if given; --worker-status: and each has it)
             down V1,V2          every node of --nodes sees every victim DOWN (3) or LEAVING (4)
             leaving V           ... sees V LEAVING (4) (or already gone from its view)
             worker URL STATUS   every node's /ha/workers shows worker URL with STATUS
             answers             every node answers /ha/status
  watch    polls every node until --stop-file exists or --max-seconds pass; counts how often a
           member of --live was seen SUSPECTED (2) or DOWN (3); writes JSON to --out.
  view     prints each node's view once (for logs).
  counter  sums a Prometheus counter over the given metrics endpoints (NAME=HOST:PORT).
  streams  fixed-rate streamed chat completions (--rps per second, --model, --max-tokens), each to a
           random router (retried once on another if it fails before any byte, as `load`); every
           stream is checked: HTTP 200, ends with [DONE], no error event, and its text equal to the
           same request answered whole by --reference (a worker that is not killed: the mock
           generates deterministically). Writes a JSON summary to --out.
"""
import argparse
import collections
import concurrent.futures
import http.client
import json
import os
import random
import re
import sys
import threading
import time

BODY = json.dumps({"model": "mock-model", "max_tokens": 4,
                   "messages": [{"role": "user", "content": "chaos %d"}]})


def parse_nodes(items):
    nodes = {}
    for item in items:
        name, addr = item.split("=", 1)
        host, port = addr.rsplit(":", 1)
        nodes[name] = (host, int(port))
    return nodes


def get_json(addr, path, timeout):
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        return json.loads(body) if resp.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def url_answers(url, timeout):
    host, _, rest = url.split("://", 1)[1].partition(":")
    port, _, path = rest.partition("/")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/" + path)
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


# ----------------------------------------------------------------------------- views

class View:
    """One node's answer: members {name: status}, workers {url: status}; None when it did not answer."""

    def __init__(self, status, workers):
        self.members = None if status is None else {n["name"]: n["status"] for n in status.get("nodes", [])}
        self.workers = None if workers is None else {w["url"]: w.get("status") for w in workers}

    @property
    def ok(self):
        return self.members is not None and self.workers is not None

    def brief(self):
        """Members as one letter each (I A S D L, - absent) and workers as r/n/p/d, for traces."""
        if self.members is None:
            return "no answer"
        letters = {"0": "I", "1": "A", "2": "S", "3": "D", "4": "L"}
        out = "".join(letters.get(self.members[m], "?") for m in sorted(self.members))
        if self.workers is not None:
            out += " w:" + ("".join((self.workers[u] or "?")[0] for u in sorted(self.workers)) or "none")
        return out

    def __repr__(self):
        return "members=%s workers=%s" % (self.members, self.workers)


def fetch_views(pool, nodes, timeout, with_workers=True):
    def one(addr):
        status = get_json(addr, "/ha/status", timeout)
        workers = get_json(addr, "/ha/workers", timeout) if with_workers else []
        return View(status, workers)
    futures = {name: pool.submit(one, addr) for name, addr in nodes.items()}
    return {name: f.result() for name, f in futures.items()}


def converged(views, nodes, want_workers, worker_status):
    names = set(nodes)
    first = None
    for view in views.values():
        if not view.ok:
            return False
        if set(view.members) != names or any(s != "1" for s in view.members.values()):
            return False
        summary = (tuple(sorted(view.members.items())), tuple(sorted(view.workers)))
        if first is None:
            first = summary
        elif summary != first:
            return False
        if want_workers and set(view.workers) != want_workers:
            return False
        if worker_status and any(s != worker_status for s in view.workers.values()):
            return False
    return True


def all_see(views, victims, statuses, gone_ok=False):
    for view in views.values():
        if view.members is None:
            return False
        for v in victims:
            if v not in view.members:
                if not gone_ok:
                    return False
            elif view.members[v] not in statuses:
                return False
    return True


def cmd_wait(args):
    nodes = parse_nodes(args.nodes)
    if args.go_file:
        # Started before the fault is healed, so that this process's start is not in the time:
        # say we are ready, then wait for the go file, which holds the epoch seconds of the heal.
        open(args.go_file + ".ready", "w").close()
        limit = time.time() + 600
        while not os.path.exists(args.go_file):
            if time.time() > limit:
                return 2
            time.sleep(0.005)
        with open(args.go_file) as f:
            args.since = float(f.read())
    since = args.since if args.since else time.time()
    deadline = time.time() + args.timeout
    want_workers = set(args.workers) if args.workers else None
    cond = args.condition
    trace = open(args.trace, "a") if args.trace else None
    last_line = None
    answered = None
    if trace is not None:
        trace.write("# wait %s\n" % " ".join(cond))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * len(nodes)) as pool:
        views = {}
        while True:
            need_workers = cond[0] in ("converged", "worker")
            views = fetch_views(pool, nodes, args.request_timeout, need_workers)
            if cond[0] == "converged":
                ok = converged(views, nodes, want_workers, args.worker_status)
            elif cond[0] == "down":
                ok = all_see(views, cond[1].split(","), {"3", "4"})
            elif cond[0] == "leaving":
                ok = all_see(views, cond[1].split(","), {"4"}, gone_ok=True)
            elif cond[0] == "worker":
                ok = all(v.workers is not None and v.workers.get(cond[1]) == cond[2] for v in views.values())
            elif cond[0] == "answers":
                ok = all(v.members is not None for v in views.values())
            else:
                sys.exit("unknown condition %s" % cond[0])
            now = time.time()
            if args.answer_node and answered is None and views[args.answer_node].members is not None:
                answered = now - since
            if args.answer_url and answered is None and url_answers(args.answer_url, args.request_timeout):
                answered = time.time() - since
            if trace is not None:
                line = " | ".join("%s: %s" % (n, views[n].brief()) for n in sorted(views))
                if line != last_line:
                    trace.write("%7.2f %s\n" % (now - since, line))
                    trace.flush()
                    last_line = line
            if ok:
                if args.answer_node or args.answer_url:
                    print("%.2f %.2f" % (answered if answered is not None else now - since, now - since))
                else:
                    print("%.2f" % (now - since))
                return 0
            if now >= deadline:
                for name, view in sorted(views.items()):
                    print("  %s: %s" % (name, view), file=sys.stderr)
                return 1
            time.sleep(args.interval)


def cmd_view(args):
    nodes = parse_nodes(args.nodes)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * len(nodes)) as pool:
        for name, view in sorted(fetch_views(pool, nodes, args.request_timeout).items()):
            names = {"0": "INIT", "1": "ALIVE", "2": "SUSPECTED", "3": "DOWN", "4": "LEAVING"}
            if view.members is None:
                print("%s: no answer" % name)
                continue
            members = " ".join("%s=%s" % (n, names.get(s, s)) for n, s in sorted(view.members.items()))
            workers = " ".join("%s=%s" % (u.rsplit(":", 1)[-1], s) for u, s in sorted((view.workers or {}).items()))
            print("%s sees: %s | workers: %s" % (name, members, workers))
    return 0


def cmd_watch(args):
    nodes = parse_nodes(args.nodes)
    live = set(args.live.split(",")) if args.live else set(nodes)
    deadline = time.time() + args.max_seconds
    polls = 0
    seen = collections.Counter()
    first_down = []
    unanswered = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * len(nodes)) as pool:
        while time.time() < deadline and not os.path.exists(args.stop_file):
            views = fetch_views(pool, nodes, args.request_timeout, with_workers=False)
            polls += 1
            for observer, view in views.items():
                if view.members is None:
                    unanswered += 1
                    continue
                for member, status in view.members.items():
                    if member in live and status in ("2", "3"):
                        seen[status] += 1
                        if status == "3" and len(first_down) < 10:
                            first_down.append("%.1f %s sees %s DOWN" % (time.time(), observer, member))
            time.sleep(args.interval)
    result = {"polls": polls, "suspected_observations": seen["2"], "down_observations": seen["3"],
              "unanswered": unanswered, "first_down": first_down}
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


def cmd_counter(args):
    total = 0.0
    pattern = re.compile(r"^%s(\{[^}]*\})?\s+([0-9.eE+-]+)$" % re.escape(args.name))
    for name, addr in parse_nodes(args.nodes).items():
        conn = http.client.HTTPConnection(addr[0], addr[1], timeout=args.request_timeout)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode()
        except (OSError, http.client.HTTPException):
            print("no metrics from %s" % name, file=sys.stderr)
            return 1
        finally:
            conn.close()
        for line in text.splitlines():
            m = pattern.match(line)
            if m and all(lbl in (m.group(1) or "") for lbl in args.label):
                total += float(m.group(2))
    print("%d" % total)
    return 0


# ----------------------------------------------------------------------------- load

def attempt(addr, seq, timeout):
    """One request; returns (ok, reason). reason is None on success, else a short label."""
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    try:
        conn.request("POST", "/v1/chat/completions", BODY.replace("%d", str(seq)),
                     {"Content-Type": "application/json", "Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 200:
            return True, None
        code = ""
        try:
            err = json.loads(body).get("error")
            code = err.get("code", "") if isinstance(err, dict) else str(err)
        except (ValueError, AttributeError):
            pass
        return False, "http_%d%s" % (resp.status, ("_" + code) if code else "")
    except ConnectionRefusedError:
        return False, "refused"
    except TimeoutError:
        return False, "timeout"
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return False, "reset"
    except (OSError, http.client.HTTPException) as e:
        return False, type(e).__name__
    finally:
        conn.close()


def retriable(reason):
    return reason in ("refused", "timeout", "reset") or reason.startswith("http_503") \
        or not reason.startswith("http_")


def paced(args, one):
    """Calls one(seq) on a thread pool args.rps times a second until args.stop_file exists or
    args.max_seconds pass; returns how many were started (all have finished when it returns)."""
    started = time.time()
    seq = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        while True:
            now = time.time()
            if now - started > args.max_seconds or os.path.exists(args.stop_file):
                break
            due = started + seq / args.rps
            if due > now:
                time.sleep(min(due - now, 0.1))
                continue
            pool.submit(one, seq)
            seq += 1
    return seq


def cmd_load(args):
    targets = parse_nodes(args.targets)
    names = sorted(targets)
    lock = threading.Lock()
    stats = collections.Counter()
    first_fail = collections.Counter()
    final_fail = collections.Counter()
    failures = []
    latencies = []

    def one(seq):
        start = time.time()
        first = random.choice(names)
        ok, reason = attempt(targets[first], seq, args.timeout)
        via = first
        if not ok:
            with lock:
                first_fail["%s:%s" % (first, reason)] += 1
            if retriable(reason) and len(names) > 1:
                via = random.choice([n for n in names if n != first])
                ok, reason2 = attempt(targets[via], seq, args.timeout)
                with lock:
                    stats["retried"] += 1
                reason = "%s then %s:%s" % (reason, via, reason2) if not ok else None
        with lock:
            latencies.append(time.time() - start)
            if ok:
                stats["ok"] += 1
            else:
                stats["failed"] += 1
                final_fail["%s:%s" % (first, reason)] += 1
                if len(failures) < 20:
                    failures.append("%.2f seq %d %s:%s" % (start, seq, first, reason))

    started = time.time()
    stats["sent"] = paced(args, one)
    latencies.sort()
    pct = lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 3) if latencies else None
    result = {"sent": stats["sent"], "ok": stats["ok"], "failed": stats["failed"], "retried": stats["retried"],
              "seconds": round(time.time() - started, 1), "p50_s": pct(0.5), "p99_s": pct(0.99),
              "max_s": round(latencies[-1], 3) if latencies else None,
              "first_attempt_failures": dict(first_fail), "failures": dict(final_fail),
              "failure_samples": failures}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


# ----------------------------------------------------------------------------- streams

def stream_once(addr, body, timeout):
    """One streamed request; returns (outcome, text). outcome: ok, broken, error_event, or a reason
    the request failed before any byte (refused, reset, timeout, http_NNN)."""
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    text = []
    got_bytes = False
    try:
        conn.request("POST", "/v1/chat/completions", body,
                     {"Content-Type": "application/json", "Connection": "close"})
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            return "http_%d" % resp.status, ""
        done = False
        error = False
        for raw in resp:
            got_bytes = True
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                done = True
                continue
            chunk = json.loads(data)
            if chunk.get("error"):
                error = True
                continue
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if isinstance(piece, str):
                    text.append(piece)
        if error:
            return "error_event", "".join(text)
        return ("ok" if done else "broken"), "".join(text)
    except ConnectionRefusedError:
        return "refused", ""
    except TimeoutError:
        return ("broken" if got_bytes else "timeout"), ""
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError, http.client.IncompleteRead):
        return ("broken" if got_bytes else "reset"), ""
    except (OSError, http.client.HTTPException, ValueError) as e:
        return ("broken" if got_bytes else type(e).__name__), ""
    finally:
        conn.close()


def reference_text(url, body, timeout):
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        whole = json.loads(body)
        whole["stream"] = False
        conn.request("POST", "/v1/chat/completions", json.dumps(whole), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        answer = json.loads(resp.read())
        return answer["choices"][0]["message"]["content"]
    finally:
        conn.close()


def cmd_streams(args):
    targets = parse_nodes(args.targets)
    names = sorted(targets)
    lock = threading.Lock()
    stats = collections.Counter()
    samples = []

    def one(seq):
        body = json.dumps({"model": args.model, "stream": True, "max_tokens": args.max_tokens,
                           "messages": [{"role": "user", "content": "chaos stream %d" % seq}]})
        first = random.choice(names)
        outcome, text = stream_once(targets[first], body, args.timeout)
        if outcome not in ("ok", "broken", "error_event") and len(names) > 1:
            with lock:
                stats["retried"] += 1
            outcome, text = stream_once(targets[random.choice([n for n in names if n != first])], body, args.timeout)
        if outcome == "ok":
            try:
                expected = reference_text(args.reference, body, args.timeout)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
                outcome = "no_reference_%s" % type(e).__name__
            else:
                if text != expected:
                    outcome = "mismatch"
        with lock:
            stats[outcome] += 1
            if outcome != "ok" and len(samples) < 20:
                samples.append("seq %d via %s: %s (%d chars)" % (seq, first, outcome, len(text)))

    started = time.time()
    seq = paced(args, one)
    ok = stats.pop("ok", 0)
    retried = stats.pop("retried", 0)
    result = {"sent": seq, "ok": ok, "failed": seq - ok, "retried": retried, "outcomes": dict(stats),
              "seconds": round(time.time() - started, 1), "failure_samples": samples}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--request-timeout", type=float, default=1.0)

    w = sub.add_parser("wait", parents=[common])
    w.add_argument("condition", nargs="+")
    w.add_argument("--nodes", nargs="+", required=True)
    w.add_argument("--workers", nargs="*")
    w.add_argument("--worker-status")
    w.add_argument("--since", type=float)
    w.add_argument("--timeout", type=float, default=60)
    w.add_argument("--interval", type=float, default=0.2)
    w.add_argument("--answer-node", help="also print when this node first answered (before the seconds)")
    w.add_argument("--answer-url", help="the same for the first 200 from this URL (a worker's /health)")
    w.add_argument("--trace", help="append every change of the views to this file")
    w.add_argument("--go-file", help="write GO_FILE.ready, then wait for GO_FILE (epoch seconds: --since)")

    v = sub.add_parser("view", parents=[common])
    v.add_argument("--nodes", nargs="+", required=True)

    wa = sub.add_parser("watch", parents=[common])
    wa.add_argument("--nodes", nargs="+", required=True)
    wa.add_argument("--live")
    wa.add_argument("--stop-file", required=True)
    wa.add_argument("--out", required=True)
    wa.add_argument("--max-seconds", type=float, default=600)
    wa.add_argument("--interval", type=float, default=0.25)

    c = sub.add_parser("counter", parents=[common])
    c.add_argument("name")
    c.add_argument("--label", action="append", default=[])
    c.add_argument("--nodes", nargs="+", required=True)

    lo = sub.add_parser("load")
    lo.add_argument("--targets", nargs="+", required=True)
    lo.add_argument("--rps", type=float, default=50)
    lo.add_argument("--threads", type=int, default=128)
    lo.add_argument("--timeout", type=float, default=3.0)
    lo.add_argument("--max-seconds", type=float, default=900)
    lo.add_argument("--stop-file", required=True)
    lo.add_argument("--out", required=True)

    st = sub.add_parser("streams")
    st.add_argument("--targets", nargs="+", required=True)
    st.add_argument("--reference", required=True)
    st.add_argument("--model", required=True)
    st.add_argument("--rps", type=float, default=8)
    st.add_argument("--max-tokens", type=int, default=60)
    st.add_argument("--threads", type=int, default=128)
    st.add_argument("--timeout", type=float, default=30.0)
    st.add_argument("--max-seconds", type=float, default=300)
    st.add_argument("--stop-file", required=True)
    st.add_argument("--out", required=True)

    args = p.parse_args()
    return {"wait": cmd_wait, "view": cmd_view, "watch": cmd_watch, "counter": cmd_counter,
            "load": cmd_load, "streams": cmd_streams}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
