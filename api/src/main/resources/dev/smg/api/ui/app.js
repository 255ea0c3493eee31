// /ha/ui: one GET /ha/overview per refresh (never one request per row or cell), rendered as plain
// tables. Actions go through the existing API (/workers, /ha/shutdown) with the key this tab was given.
'use strict';
(function () {
  const REFRESH_MS = 1000;
  const KEY_STORE = 'smg-api-key';
  // Every state is shown as its word; the class only adds a mark and a colour.
  const MEMBER_CLASS = { ALIVE: 'ok', INIT: 'warn', SUSPECTED: 'warn', LEAVING: 'warn', DOWN: 'bad' };
  const WORKER_CLASS = { ready: 'ok', pending: 'warn', draining: 'warn', not_ready: 'bad', unknown: 'warn' };
  const BREAKER_CLASS = { closed: 'ok', half_open: 'warn', open: 'bad' };

  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem(KEY_STORE) || '';
  let paused = false;
  let timer = null;
  let inFlight = false;
  let last = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, value);
      else if (name in node && typeof value !== 'string') node[name] = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function state(word, cls) {
    return el('span', { class: 'state ' + (cls || 'warn'), 'data-state': word }, word);
  }

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (key) h.Authorization = 'Bearer ' + key;
    return h;
  }

  function age(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return ms + ' ms ago';
    if (ms < 120000) return (ms / 1000).toFixed(1) + ' s ago';
    return Math.round(ms / 60000) + ' min ago';
  }

  function percent(share) {
    return share === null || share === undefined ? '—' : (share * 100).toFixed(1) + ' %';
  }

  function fact(term, value) {
    return el('div', null, el('dt', null, term), el('dd', null, value));
  }

  // ------------------------------------------------------------------ refresh loop

  function schedule() {
    clearTimeout(timer);
    if (!paused) timer = setTimeout(refresh, REFRESH_MS);
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const res = await fetch('/ha/overview', { headers: headers(), cache: 'no-store' });
      if (res.status === 401) {
        askForKey(key ? 'This router refused the key: check it and enter it again.'
          : 'This router was started with --api-key: enter the key to see the cluster and act on it.');
        return;
      }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const data = await res.json();
      $('key-section').hidden = true;
      last = data;
      render(data);
    } catch (e) {
      $('summary').textContent = 'Cannot read this router\'s /ha/overview (' + e.message + '); retrying.';
    } finally {
      inFlight = false;
      schedule();
    }
  }

  function askForKey(reason) {
    $('key-section').hidden = false;
    $('key-reason').textContent = reason + ' The key stays in this browser tab only.';
    $('summary').textContent = 'API key needed.';
    if (!$('key-section').contains(document.activeElement)) $('api-key').focus();
  }

  // ------------------------------------------------------------------ rendering

  /** Replaces a container's children, keeping keyboard focus on the control with the same data-focus-key. */
  function replace(container, children) {
    const active = document.activeElement;
    const focusKey = active && container.contains(active) ? active.getAttribute('data-focus-key') : null;
    container.replaceChildren(...children);
    if (focusKey) {
      const again = container.querySelector('[data-focus-key="' + CSS.escape(focusKey) + '"]');
      if (again) again.focus();
    }
  }

  function render(d) {
    const members = d.members || [];
    const self = members.find((m) => m.self) || { name: d.node_name };
    const rows = workerRows(d);
    const alive = members.filter((m) => m.status_name === 'ALIVE').length;
    const ready = rows.filter((w) => w.status === 'ready').length;
    $('node-name').textContent = '— served by ' + d.node_name + (d.mesh ? '' : ' (mesh off)');
    document.title = 'smg cluster — ' + d.node_name;
    const h = d.health || {};
    $('summary').textContent = (d.mesh
      ? h.status + ' · ' + alive + ' of ' + members.length + ' routers alive · leader '
        + ((h.quorum && h.quorum.leader) || 'none')
      : 'single router, mesh off') + ' · ' + ready + ' of ' + rows.length + ' workers ready here';

    const facts = [fact('Health (this router)', h.status + (h.reason ? ' — ' + h.reason : ''))];
    if (h.quorum) {
      facts.push(fact('Quorum', (h.quorum.present ? 'present' : 'MISSING') + ': ' + h.quorum.reachable + ' of '
        + h.quorum.members + ' reachable, ' + h.quorum.needed + ' needed'));
      facts.push(fact('Leader', h.quorum.leader || 'none'));
      facts.push(fact('Catch-up', h.sync || '—'));
    }
    const rl = d.rate_limit;
    facts.push(fact('Cluster rate limit', !rl ? 'not available (mesh off)' : rl.limit_per_second > 0
      ? rl.limit_per_second + ' req/s; ' + rl.current_count + ' admitted in the last second; this router '
        + percent(rl.node_share)
      : 'off'));
    facts.push(fact('Workers', rows.length + ' (' + ready + ' ready here)'));
    facts.push(fact('Version', d.version));
    replace($('cluster-facts'), facts);

    renderMembers(members);
    renderWorkers(rows, members, self.name, !!d.mesh);
    renderReplication(d);
    renderEvents(d.events || []);
    $('shutdown').hidden = !d.mesh;
    $('actions-note').textContent = d.mesh
      ? 'Changes made here reach every router through the mesh. Each asks for confirmation.'
      : 'The mesh is off: changes apply to this router only. Each asks for confirmation.';
  }

  function renderMembers(members) {
    replace($('members').tBodies[0], members.map((m) => {
      const roles = [];
      if (m.leader) roles.push('leader');
      if (m.self) roles.push('this router');
      return el('tr', { 'data-member': m.name },
        el('th', { scope: 'row' }, m.name),
        el('td', null, m.address),
        el('td', { class: 'status' }, state(m.status_name, MEMBER_CLASS[m.status_name] || 'bad')),
        el('td', { class: 'num' }, String(m.version)),
        el('td', { class: 'num' }, m.self ? 'this router' : age(m.last_heard_ms)),
        el('td', { class: 'num' }, percent(m.rate_share)),
        el('td', null, roles.join(', ') || '—'));
    }));
  }

  /** One row per worker: the cluster's (mesh) joined with this router's own view of it. */
  function workerRows(d) {
    const local = new Map((d.local_workers || []).map((w) => [w.url, w]));
    if (!d.mesh) {
      return (d.local_workers || []).map((w) => ({
        id: w.id, url: w.url, models: w.models, status: w.status, here: w,
        health: null, breaker: null, inFlight: w.load, byRouter: { [d.node_name]: w.load }
      }));
    }
    return (d.workers || []).map((w) => ({
      id: w.worker_id, url: w.url, models: w.models, status: w.status, here: local.get(w.url) || null,
      health: w.health, breaker: w.circuit_breaker, inFlight: w.in_flight, byRouter: w.in_flight_by_router || {}
    }));
  }

  function renderWorkers(rows, members, selfName, mesh) {
    const table = $('workers');
    const head = el('tr', null,
      el('th', { scope: 'col' }, 'Worker'),
      el('th', { scope: 'col' }, 'Models'),
      el('th', { scope: 'col' }, mesh ? 'Health (cluster verdict)' : 'Status'),
      el('th', { scope: 'col' }, mesh ? 'Breaker (cluster verdict)' : 'Breaker'),
      el('th', { scope: 'col' }, 'In flight, all routers'),
      members.map((m) => el('th', { scope: 'col', 'data-router': m.name }, m.name,
        el('small', null, m.self ? 'this router' : m.status_name))),
      el('th', { scope: 'col' }, 'Actions'));
    replace(table.tHead, [head]);
    if (rows.length === 0) {
      replace(table.tBodies[0], [el('tr', null,
        el('td', { colspan: String(6 + members.length) }, 'No workers registered.'))]);
      return;
    }
    replace(table.tBodies[0], rows.map((w) => {
      // Routers publish a health verdict when their probes change a worker's health; a worker healthy
      // since it was added has none, so this router's own status stands in for it, said as such.
      const health = mesh
        ? (w.health ? state(w.health.healthy ? 'healthy' : 'unhealthy', w.health.healthy ? 'ok' : 'bad')
          : (w.here ? state(w.here.status, WORKER_CLASS[w.here.status]) : state('no verdict yet', 'none')))
        : state(w.status, WORKER_CLASS[w.status]);
      const healthNote = !mesh ? null : w.health ? el('small', null, 'by ' + w.health.by)
        : w.here ? el('small', null, 'here; no router has reported a change') : null;
      const breakerWord = mesh ? (w.breaker ? w.breaker.state : 'closed') : (w.here ? w.here.circuit_breaker : '—');
      return el('tr', { 'data-worker': w.url },
        el('th', { scope: 'row' }, w.url),
        el('td', null, ((w.models && w.models.length ? w.models : (w.here && w.here.models)) || []).join(', ') || '—'),
        el('td', null, health, healthNote),
        el('td', null, state(breakerWord, BREAKER_CLASS[breakerWord]),
          mesh && w.breaker ? el('small', null, 'by ' + w.breaker.by) : null),
        el('td', { class: 'num' }, String(w.inFlight ?? 0)),
        members.map((m) => routerCell(w, m, selfName)),
        el('td', null, el('button', {
          type: 'button', class: 'danger remove', 'data-focus-key': 'remove:' + w.url, 'data-id': w.id,
          'data-url': w.url, 'aria-label': 'Remove worker ' + w.url
        }, 'Remove')));
    }));
  }

  function routerCell(w, m, selfName) {
    const parts = [];
    const gone = m.status_name === 'DOWN' || m.status_name === 'LEAVING';
    if (m.name === selfName) {
      parts.push((w.here ? w.here.load : 0) + ' in flight');
      if (w.here) {
        parts.push(el('small', null, 'here: ', state(w.here.status, WORKER_CLASS[w.here.status]), ', breaker ',
          w.here.circuit_breaker));
      } else {
        parts.push(el('small', null, 'not in this router\'s registry yet'));
      }
    } else if (gone) {
      parts.push(el('small', null, 'no reports (' + m.status_name + ')'));
    } else {
      parts.push((w.byRouter[m.name] || 0) + ' in flight');
    }
    if (w.health && w.health.by === m.name) parts.push(el('small', null, 'gave the health verdict'));
    if (w.breaker && w.breaker.by === m.name) parts.push(el('small', null, 'gave the breaker verdict'));
    return el('td', { 'data-router': m.name }, parts);
  }

  function renderReplication(d) {
    const facts = [];
    const t = d.trees || {};
    facts.push(fact('Cache tree blocks (this router)', t.blocks ?? '—'));
    if (d.mesh) {
      facts.push(fact('Tree inserts sent / received', (t.inserts_sent ?? 0) + ' / ' + (t.inserts_received ?? 0)));
      facts.push(fact('Tree inserts dropped (queue full)', t.inserts_dropped ?? 0));
      const r = d.replication || {};
      facts.push(fact('Replication lag, last ' + Math.round((r.window_ms || 0) / 1000) + ' s',
        r.recent_batches === null || r.recent_batches === undefined ? 'measuring…'
          : r.recent_batches === 0 ? 'no batches'
            : r.recent_mean_ms + ' ms mean over ' + r.recent_batches + ' batches'));
      facts.push(fact('Replication lag since start', r.mean_ms === null || r.mean_ms === undefined ? 'no batches'
        : r.mean_ms + ' ms mean over ' + r.batches + ' batches'));
      const s = d.stores || {};
      facts.push(fact('Replicated keys', 'workers ' + s.worker_count + ', policies ' + s.policy_count
        + ', settings ' + s.app_count));
    } else {
      facts.push(fact('Replication', 'none (mesh off)'));
    }
    replace($('replication-facts'), facts);
  }

  function renderEvents(events) {
    if (events.length === 0) {
      replace($('events'), [el('li', null, 'No changes seen since this router started serving this page.')]);
      return;
    }
    replace($('events'), events.map((e) => el('li', null,
      el('time', { datetime: new Date(e.at).toISOString() }, new Date(e.at).toLocaleTimeString()), ' ',
      e.kind + ' ', el('strong', null, e.subject), ': ' + e.text)));
  }

  // ------------------------------------------------------------------ actions

  /** Shows the confirmation dialog; resolves true only for an explicit Confirm. */
  function confirmAction(text) {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    const opener = document.activeElement && document.activeElement.getAttribute('data-focus-key');
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => {
        // The table may have been redrawn meanwhile: focus the redrawn button that opened the dialog.
        const again = opener && document.querySelector('[data-focus-key="' + CSS.escape(opener) + '"]');
        if (again) again.focus();
        resolve(dialog.returnValue === 'confirm');
      }, { once: true });
      dialog.returnValue = 'cancel';
      dialog.showModal();
    });
  }

  async function act(description, method, path, body) {
    if (!(await confirmAction(description))) {
      $('action-result').textContent = 'Cancelled: ' + description;
      return;
    }
    const result = $('action-result');
    try {
      const res = await fetch(path, {
        method: method,
        headers: headers(body ? { 'Content-Type': 'application/json' } : {}),
        body: body ? JSON.stringify(body) : undefined
      });
      let message = '';
      try {
        const json = await res.json();
        message = json.message || json.status || (json.error && (json.error.message || json.error)) || '';
      } catch (ignored) { /* no JSON body */ }
      result.textContent = (res.ok ? 'Done (' : 'Refused (') + res.status + '): ' + description
        + (message ? ' — ' + message : '');
      if (res.status === 401) askForKey('This router refused the key.');
    } catch (e) {
      result.textContent = 'Failed: ' + description + ' — ' + e.message;
    }
    refresh();
  }

  function wire() {
    $('key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      key = $('api-key').value.trim();
      $('api-key').value = '';
      sessionStorage.setItem(KEY_STORE, key);
      $('key-section').hidden = true;
      $('summary').textContent = 'Loading with the key…';
      refresh();
    });
    $('forget-key').addEventListener('click', () => {
      key = '';
      sessionStorage.removeItem(KEY_STORE);
      refresh();
    });
    $('pause').addEventListener('click', () => {
      paused = !paused;
      $('pause').setAttribute('aria-pressed', String(paused));
      $('pause').textContent = paused ? 'Resume updates' : 'Pause updates';
      if (paused) clearTimeout(timer); else refresh();
    });
    $('add-worker-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const url = $('worker-url').value.trim();
      const models = $('worker-models').value.split(',').map((m) => m.trim()).filter((m) => m);
      const body = { url: url };
      if (models.length) body.models = models;
      act('add worker ' + url + (last ? ' through router ' + last.node_name : ''), 'POST', '/workers', body);
    });
    $('workers').addEventListener('click', (event) => {
      const button = event.target.closest('button.remove');
      if (!button) return;
      act('remove worker ' + button.getAttribute('data-url') + ' from the cluster', 'DELETE',
        '/workers/' + encodeURIComponent(button.getAttribute('data-id')));
    });
    $('shutdown').addEventListener('click', () => {
      act('shut router ' + (last ? last.node_name : 'this router') + ' down gracefully (it leaves the mesh,'
        + ' drains and exits)', 'POST', '/ha/shutdown');
    });
  }

  wire();
  refresh();
})();
