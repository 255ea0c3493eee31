#!/usr/bin/env python3
"""Times /ha/ui's rendering in a running headless Chromium, through the DevTools protocol (stdlib only).

Used by scripts/bench/ha-ui-render.sh. For each run: a new tab, a timing script added with
Page.addScriptToEvaluateOnNewDocument (the page's own files are served unchanged), navigation to
PAGE_URL, then the first render and REFRESHES refreshes are read back, with Performance.getMetrics.

The timing script, in the page: fetch('/ha/overview') is wrapped to note when a refresh starts and
Response.json() to note when its body is parsed (t_parsed); app.js then renders synchronously in
the same task, and a MutationObserver callback, which runs as the microtask right after it, notes
the end of the render's script (t_script), forces style and layout (t_layout) and notes when the
next frame's main-thread work (style, layout, paint recording) is done (t_frame).
All are performance.now(), milliseconds since navigation started.

  ha-ui-render-probe.py DEVTOOLS_PORT PAGE_URL WORKERS RUNS REFRESHES   # prints one JSON line per run
"""
import base64
import http.client
import json
import os
import socket
import struct
import sys
import time

TIMING = r"""
(() => {
  const WORKERS = %d;
  const out = window.__uibench = { renders: [], errors: [] };
  let started = null, parsed = null;
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    if (String(input).endsWith('/ha/overview')) started = performance.now();
    return fetch0.apply(this, arguments);
  };
  const json0 = Response.prototype.json;
  Response.prototype.json = function () {
    const p = json0.call(this);
    return this.url.endsWith('/ha/overview') ? p.then((v) => { parsed = performance.now(); return v; }) : p;
  };
  new MutationObserver(() => {
    if (parsed === null) return;
    const tScript = performance.now();
    const body = document.querySelector('#workers tbody');
    const rows = body ? body.rows.length : -1;
    document.body.getBoundingClientRect();
    void document.body.offsetHeight; // style and layout now, as the frame would
    const tLayout = performance.now();
    const r = { started: started, parsed: parsed, script: tScript, layout: tLayout, frame: null, rows: rows,
                elements: document.getElementsByTagName('*').length };
    out.renders.push(r);
    parsed = null;
    // The next frame's own style, layout and paint run after its animation-frame callbacks; a task
    // queued from one runs after them.
    requestAnimationFrame(() => setTimeout(() => { r.frame = performance.now(); }, 0));
    if (rows !== WORKERS) out.errors.push('workers table has ' + rows + ' rows, expected ' + WORKERS);
  }).observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
})();
"""


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: text frames, client masking, no extensions."""

    def __init__(self, url):
        assert url.startswith("ws://"), url
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError("DevTools refused the websocket: " + head.decode(errors="replace"))
        self.next_id = 0

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                                  if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            data = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode in (0, 1, 2):
                message += data
                if b0 & 0x80:
                    return message.decode()

    def call(self, method, **params):
        self.next_id += 1
        self.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:  # events of the domains enabled arrive in between; none is needed
            reply = json.loads(self.receive())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def close(self):
        self.sock.close()


def devtools(port, method, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path)
    res = conn.getresponse()
    body = res.read()
    conn.close()
    if res.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {res.status} {body[:200]!r}")
    return json.loads(body) if body.strip().startswith((b"{", b"[")) else body


def evaluate(ws, expression):
    result = ws.call("Runtime.evaluate", expression=expression, returnByValue=True)
    if "exceptionDetails" in result:
        raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
    return result["result"].get("value")


def one_run(port, page_url, workers, refreshes):
    target = devtools(port, "PUT", "/json/new?about:blank")
    ws = WebSocket(target["webSocketDebuggerUrl"])
    try:
        ws.call("Page.enable")
        ws.call("Performance.enable")
        ws.call("Page.addScriptToEvaluateOnNewDocument", source=TIMING % workers)
        ws.call("Page.navigate", url=page_url)
        deadline = time.monotonic() + 15 + 2 * refreshes  # the page refreshes once a second
        want = 1 + refreshes
        state = None
        while time.monotonic() < deadline:
            time.sleep(0.25)
            state = evaluate(ws, "window.__uibench && JSON.stringify(window.__uibench)")
            if state:
                state = json.loads(state)
                if len(state["renders"]) >= want and state["renders"][want - 1]["frame"] is not None:
                    break
        else:
            raise RuntimeError(f"fewer than {want} renders within the time allowed: {state}")
        if state["errors"]:
            raise RuntimeError("; ".join(state["errors"][:3]))
        ws.call("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in ws.call("Performance.getMetrics")["metrics"]}
        return {"renders": state["renders"][:want], "nodes_after_gc": metrics.get("Nodes"),
                "js_heap_used_after_gc": metrics.get("JSHeapUsedSize"),
                "elements": evaluate(ws, "document.getElementsByTagName('*').length")}
    finally:
        ws.close()
        devtools(port, "GET", "/json/close/" + target["id"])


def main():
    port, page_url, workers, runs, refreshes = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                int(sys.argv[5]))
    for i in range(runs):
        print(f"[bench]   run {i + 1}/{runs}", file=sys.stderr)
        print(json.dumps(one_run(port, page_url, workers, refreshes)), flush=True)


if __name__ == "__main__":
    main()
