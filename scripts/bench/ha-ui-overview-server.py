#!/usr/bin/env python3
"""Serves /ha/ui's shipped files and a made-up /ha/overview for W workers x R routers, on 127.0.0.1.

Used by scripts/bench/ha-ui-render.sh. The JSON has the shape ClusterOverview.json() gives with the
mesh on (members from /ha/status's nodes plus status_name/self/leader/last_heard_ms/rate_share;
workers from WorkerSync.clusterWorkers() plus LoadSync.json(); local_workers from WorkerRoutes.info();
rate_limit, trees, replication, stores, 50 events). Each GET builds a new body: in-flight counts,
ages and shares change from one refresh to the next as on a live cluster (seeded, so runs repeat).

  ha-ui-overview-server.py UI_DIR WORKERS ROUTERS PORT_FILE   # binds port 0, writes the port to PORT_FILE
  ha-ui-overview-server.py --json WORKERS ROUTERS              # prints one body and exits
"""
import json
import os
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATIC = {"/ha/ui": ("index.html", "text/html; charset=utf-8"),
          "/ha/ui/": ("index.html", "text/html; charset=utf-8"),
          "/ha/ui/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/ha/ui/app.css": ("app.css", "text/css; charset=utf-8")}
MODELS = ["llama-3.1-8b-instruct", "qwen2.5-7b-instruct", "mistral-7b-instruct", "llama-3.1-70b-instruct"]


class Overview:
    """One cluster, fixed names and addresses; the numbers move with every body."""

    def __init__(self, workers, routers, seed=17):
        self.random = random.Random(seed)
        self.routers = [f"router-{i + 1}" for i in range(routers)]
        self.self_name = self.routers[0]
        self.leader = self.routers[0]
        self.urls = sorted(f"http://10.1.{i // 250}.{i % 250 + 1}:8000" for i in range(workers))
        self.now = 1_760_000_000_000
        self.lock = threading.Lock()

    def body(self):
        with self.lock:
            self.now += 1000
            return json.dumps(self._json(self.random, self.now), separators=(",", ":")).encode()

    def _json(self, rnd, now):
        n = len(self.routers)
        members = []
        for i, name in enumerate(self.routers):
            members.append({"name": name, "address": f"10.0.0.{i + 1}:39527", "status": "1", "version": i % 3,
                            "status_name": "ALIVE", "self": name == self.self_name, "leader": name == self.leader,
                            "last_heard_ms": 0 if name == self.self_name else rnd.randint(50, 1000),
                            "rate_share": round(1 / n, 4)})
        workers, local = [], []
        for j, url in enumerate(self.urls):
            wid = f"w-{j:04d}"
            models = [MODELS[j % len(MODELS)]]
            by_router = {r: rnd.randint(0, 12) for r in self.routers}
            verdict_by = self.routers[j % n]
            workers.append({
                "worker_id": wid, "url": url, "models": models, "labels": {"zone": f"z{j % 3}"}, "weight": 1,
                "status": "ready",
                "health": {"at": now - rnd.randint(0, 5000), "by": verdict_by, "healthy": True},
                "circuit_breaker": None if j % 5 else {"at": now - 60_000, "by": verdict_by, "state": "closed"},
                "version": now - 3_600_000 + j,
                "in_flight": sum(by_router.values()), "in_flight_by_router": by_router,
                "engine_load": {"running": rnd.randint(0, 40), "waiting": rnd.randint(0, 8),
                                "kv_cache_usage": round(rnd.random(), 3), "reported_by": verdict_by,
                                "age_ms": rnd.randint(0, 2000)},
                "load_score": round(rnd.random() * 50, 2)})
            local.append({"id": wid, "url": url, "models": models, "model_id": models[0],
                          "labels": {"zone": f"z{j % 3}"}, "weight": 1, "worker_type": "regular",
                          "connection_mode": "http", "status": "ready", "is_healthy": True,
                          "circuit_breaker": "closed", "load": by_router[self.self_name], "has_api_key": False})
        events = [{"at": now - 10_000 * k, "kind": "worker" if k % 4 else "member",
                   "subject": self.urls[k % len(self.urls)] if k % 4 and self.urls else self.routers[k % n],
                   "text": "ready, breaker closed → not_ready, breaker open" if k % 4 else "SUSPECTED → ALIVE"}
                  for k in range(50)]
        return {
            "version": "0.1.0-bench", "mesh": True, "generated_at": now, "node_name": self.self_name,
            "health": {"status": "healthy", "node_name": self.self_name, "node_status": "1", "alive_members": n,
                       "member_count": n, "quorum": {"present": True, "reachable": n, "members": n,
                                                     "needed": n // 2 + 1, "leader": self.leader},
                       "sync": "caught_up"},
            "members": members,
            "stores": {"membership_count": n, "worker_count": len(self.urls), "policy_count": 4, "app_count": 1},
            "workers": workers, "local_workers": local,
            "rate_limit": {"limit_per_second": 1000, "current_count": rnd.randint(300, 900), "remaining": 200,
                           "node_share": round(1 / n, 4), "node_rate_per_second": round(1000 / n, 2)},
            "trees": {"blocks": 120_000 + rnd.randint(0, 999), "inserts_sent": 51_234, "inserts_received": 48_765,
                      "inserts_dropped": 0},
            "replication": {"batches": 98_765, "mean_ms": 1.8, "recent_batches": 310, "recent_mean_ms": 1.6,
                            "window_ms": 5000},
            "events": events}


def serve(ui_dir, overview, port_file):
    files = {path: (open(os.path.join(ui_dir, name), "rb").read(), kind) for path, (name, kind) in STATIC.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/ha/overview":
                body, kind = overview.body(), "application/json"
            elif path in files:
                body, kind = files[path]
            else:
                body, kind = b"not found", "text/plain"
                self.send_response(404)
            if path == "/ha/overview" or path in files:
                self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")  # every run loads the page cold
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--json"]:
        sys.stdout.buffer.write(Overview(int(sys.argv[2]), int(sys.argv[3])).body())
    else:
        serve(sys.argv[1], Overview(int(sys.argv[2]), int(sys.argv[3])), sys.argv[4])
