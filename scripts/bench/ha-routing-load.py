#!/usr/bin/env python3
"""Multi-turn chat load for scripts/bench/ha-routing.sh (Python 3 standard library only).

--sessions conversations run at once; each has --turns turns and is then replaced by a new one.
Turn 1 is a unique --system-words prompt plus a question; every later turn resends the whole
conversation so far (previous prompt + the answer it got) plus a new --user-words question, so
its prompt extends the previous one, as a chat client does. Between a turn's answer and the next
turn the session waits --think-ms (uniform in the given range). Each request goes to one of the
routers (--ports) picked at random: the router is the "front" of that request.

The realistic mock engines report usage.prompt_tokens_details.cached_tokens (their own prefix
cache's count) and name themselves in X-Mock-Worker (the gateway relays it). From those, over the
turns sent in the measured window (after --warmup, for --duration s): the cache-hit ratio
(cached / prompt tokens, all turns and follow-ups only) and the share of follow-ups served by the
same worker as that session's previous turn ("sticky").

--kill-pid P --kill-at T --kill-index I: at T seconds the client itself sends SIGKILL to P (router
I, 0-based) and from then on picks among the other routers; a turn that fails is retried once on
another live router. Follow-ups sent after the kill are then reported apart, split by whether the
session's previous turn went through the killed router.

Content of session k depends only on --seed and k, so every configuration gets the same
conversations. Prints one JSON object.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import string
import time

from http1 import read_response


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ports", required=True, help="comma-separated router HTTP ports")
    p.add_argument("--sessions", type=int, default=32)
    p.add_argument("--turns", type=int, default=5)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--system-words", type=int, default=300)
    p.add_argument("--user-words", type=int, default=30)
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--think-ms", default="100,300", help="min,max wait between an answer and the next turn")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", default="mock-model")
    p.add_argument("--kill-pid", type=int)
    p.add_argument("--kill-at", type=float)
    p.add_argument("--kill-index", type=int)
    a = p.parse_args()
    a.ports = [int(x) for x in a.ports.split(",")]
    a.think = [float(x) / 1000 for x in a.think_ms.split(",")]
    if len(a.think) != 2 or a.think[0] > a.think[1] or a.think[0] < 0:
        p.error("--think-ms is min,max in ms")
    if a.sessions < 1 or a.turns < 2 or a.duration <= 0:
        p.error("sessions >= 1, turns >= 2 and duration > 0")
    if (a.kill_pid is None) != (a.kill_at is None) or (a.kill_pid is not None and a.kill_index is None):
        p.error("--kill-pid, --kill-at and --kill-index go together")
    return a


def vocabulary(seed, size=5000):
    rng = random.Random(f"{seed}-vocabulary")
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))))
    return sorted(words)


class Pool:
    """Keep-alive connections to one router."""

    def __init__(self, port):
        self.port, self.idle = port, []

    async def post(self, path, body):
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
            status, headers, data = await read_response(reader)
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, headers, data

    def drop(self):
        for _, writer in self.idle:
            writer.close()
        self.idle = []


async def run(a):
    vocab = vocabulary(a.seed)
    pools = [Pool(p) for p in a.ports]
    live = list(range(len(a.ports)))
    choice = random.Random(f"{a.seed}-fronts")
    think = random.Random(f"{a.seed}-think")
    turns = []
    t0 = time.monotonic()
    end = a.warmup + a.duration
    next_session = [0]
    killed = {}

    def pick(exclude=None):
        """A random live router, another than `exclude` when there is one."""
        candidates = [r for r in live if r != exclude] or list(live)
        return choice.choice(candidates)

    async def session_slot():
        while time.monotonic() - t0 < end:
            k = next_session[0]
            next_session[0] += 1
            rng = random.Random(f"{a.seed}-session-{k}")
            messages = [{"role": "system", "content": " ".join(rng.choice(vocab) for _ in range(a.system_words))}]
            prev_worker = prev_router = None
            for turn in range(a.turns):
                if time.monotonic() - t0 >= end:
                    return
                messages.append({"role": "user", "content": f"Turn {turn + 1}: "
                                 + " ".join(rng.choice(vocab) for _ in range(a.user_words - 2))})
                body = json.dumps({"model": a.model, "max_tokens": a.max_tokens, "messages": messages}).encode()
                offset = time.monotonic() - t0
                record = {"offset": offset, "session": k, "turn": turn, "ok": False,
                          "prev_worker": prev_worker, "prev_router": prev_router}
                turns.append(record)
                answer = None
                for attempt in (1, 2):
                    r = record["router"] = pick(exclude=record.get("router"))
                    try:
                        status, headers, data = await asyncio.wait_for(
                            pools[r].post("/v1/chat/completions", body), a.timeout)
                        if status != 200:
                            record["error"] = f"HTTP {status}"
                            continue
                        answer = json.loads(data)
                        break
                    except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                            ValueError) as e:
                        record["error"] = type(e).__name__
                        record["attempts"] = attempt
                if answer is None:
                    break  # the session ends here; its slot starts a new one
                usage = answer.get("usage") or {}
                worker = headers.get("x-mock-worker") or answer.get("worker")
                record.update(ok=True, worker=worker, retried=record.pop("error", None),
                              prompt_tokens=int(usage.get("prompt_tokens", 0)),
                              cached_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)))
                messages.append({"role": "assistant", "content": answer["choices"][0]["message"]["content"]})
                prev_worker, prev_router = worker, record["router"]
                await asyncio.sleep(think.uniform(*a.think))

    async def killer():
        delay = t0 + a.kill_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        live.remove(a.kill_index)
        try:
            os.kill(a.kill_pid, signal.SIGKILL)
        except ProcessLookupError:
            killed["error"] = "already gone"
        pools[a.kill_index].drop()
        killed["at"] = time.monotonic() - t0

    tasks = [asyncio.create_task(session_slot()) for _ in range(a.sessions)]
    if a.kill_pid is not None:
        tasks.append(asyncio.create_task(killer()))
    await asyncio.wait(tasks, timeout=end + a.timeout + 10)
    return summarize(a, turns, killed)


def figures(turns):
    ok = [t for t in turns if t["ok"]]
    follow = [t for t in ok if t["turn"] > 0 and t["prev_worker"]]
    prompt = sum(t["prompt_tokens"] for t in ok)
    cached = sum(t["cached_tokens"] for t in ok)
    f_prompt = sum(t["prompt_tokens"] for t in follow)
    f_cached = sum(t["cached_tokens"] for t in follow)
    sticky = sum(1 for t in follow if t["worker"] == t["prev_worker"])
    errors = {}
    for t in turns:
        if not t["ok"]:
            errors[t.get("error", "?")] = errors.get(t.get("error", "?"), 0) + 1
    return {
        "turns": len(turns), "ok": len(ok), "errors": sum(errors.values()), "error_kinds": errors,
        "retried_ok": sum(1 for t in ok if t.get("retried")),
        "prompt_tokens": prompt, "cached_tokens": cached, "hit_ratio": cached / prompt if prompt else None,
        "followups": len(follow), "followup_hit_ratio": f_cached / f_prompt if f_prompt else None,
        "sticky": sticky / len(follow) if follow else None,
    }


def summarize(a, turns, killed):
    window = [t for t in turns if a.warmup <= t["offset"] < a.warmup + a.duration]
    out = figures(window)
    out["window_s"] = a.duration
    out["turns_per_s"] = out["ok"] / a.duration
    workers = {}
    for t in window:
        if t["ok"]:
            workers[t["worker"]] = workers.get(t["worker"], 0) + 1
    out["per_worker"] = dict(sorted(workers.items()))
    out["sessions_started"] = len({t["session"] for t in turns})
    if a.kill_pid is not None:
        at = killed.get("at", a.kill_at)
        out["kill_at"] = at
        out["kill_error"] = killed.get("error")
        out["before_kill"] = figures([t for t in window if t["offset"] < at])
        after = [t for t in window if t["offset"] >= at]
        out["after_kill"] = figures(after)
        out["after_kill_prev_via_killed"] = figures([t for t in after if t["prev_router"] == a.kill_index])
        out["after_kill_prev_via_survivor"] = figures([t for t in after if t["prev_router"] is not None
                                                       and t["prev_router"] != a.kill_index])
    return out


def main():
    a = parse_args()
    print(json.dumps(asyncio.run(run(a))))


if __name__ == "__main__":
    main()
