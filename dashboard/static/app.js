// The troupe dashboard page: plain browser JavaScript, no build step, no third-party code.
// Snapshots arrive over server-sent events from /api/stream; every render starts from one.

const token = new URLSearchParams(location.search).get('token');
const q = token ? `?token=${encodeURIComponent(token)}` : '';
const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function uptime(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

function bytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)}G`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}M`;
  return `${Math.round(n / 1024)}k`;
}

const time = (at) => new Date(at).toLocaleTimeString();

// Parent of a row: its longest ancestor path that is also a row (remote children included).
function ordered(actors) {
  const shown = actors.filter((a) => !a.path.startsWith('sys/'));
  const byPath = new Map(shown.map((a) => [a.path, a]));
  const kids = new Map();
  for (const a of shown) {
    const segs = a.path.split('/');
    let parent = null;
    for (let i = segs.length - 1; i > 0 && parent === null; i--) {
      const p = segs.slice(0, i).join('/');
      if (byPath.has(p)) parent = p;
    }
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent).push(a);
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const a of kids.get(parent) || []) {
      out.push({ a, depth, name: parent === null ? a.path : a.path.slice(parent.length + 1) });
      walk(a.path, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function renderTree(s) {
  const body = $('tree').tBodies[0];
  body.replaceChildren();
  for (const { a, depth, name } of ordered(s.actors)) {
    const tr = el('tr', null, `health-${a.health}`);
    tr.dataset.path = a.path;
    tr.dataset.node = a.node;
    tr.dataset.health = a.health;
    const first = el('td');
    first.style.paddingLeft = `${8 + depth * 18}px`;
    first.append(el('span', null, 'dot'), `${name}${a.supervisor ? '/' : ''}`);
    const status = a.health === 'failed' ? `${a.status} (crashed ${time(a.failedAt)})` : a.status;
    const p = a.process;
    tr.append(
      first,
      el('td', a.type),
      el('td', a.node),
      el('td', status, 'status'),
      el('td', a.restarts, 'num restarts'),
      el('td', uptime(a.uptimeMs), 'num'),
      el('td', a.mailboxDepth ?? '-', 'num mailbox'),
      el('td', a.rate === null ? '-' : a.rate.toFixed(1), 'num rate'),
      el('td', p ? p.pid : '-', 'num'),
      el('td', p ? bytes(p.rssBytes) : '-', 'num'),
      el('td', p ? `${(p.cpuMs / 1000).toFixed(1)}s` : '-', 'num'),
      el('td', a.lastFailure ?? '-', 'failure'),
    );
    body.append(tr);
  }
}

// A line plot of one series on a canvas, scaled to its own maximum; returns points drawn.
function plot(canvas, series, key, colour, windowS, now) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const pad = { l: 40, r: 8, t: 8, b: 18 };
  const max = Math.max(1, ...series.map((p) => p[key]));
  const x = (t) => pad.l + ((t - (now - windowS)) / windowS) * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - (v / max) * (h - pad.t - pad.b);
  g.strokeStyle = '#2a3642';
  g.fillStyle = '#9aa4ad';
  g.font = '10px system-ui, sans-serif';
  g.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    g.beginPath();
    g.moveTo(pad.l, y(v));
    g.lineTo(w - pad.r, y(v));
    g.stroke();
    g.fillText(v >= 10 ? Math.round(v) : v.toFixed(1), 4, y(v) + 3);
  }
  g.fillText(`-${Math.round(windowS / 60)} min`, pad.l, h - 4);
  g.fillText('now', w - pad.r - 18, h - 4);
  g.strokeStyle = colour;
  g.lineWidth = 1.5;
  g.beginPath();
  let n = 0;
  for (const p of series) {
    if (p.t < now - windowS) continue;
    if (n === 0) g.moveTo(x(p.t), y(p[key]));
    else g.lineTo(x(p.t), y(p[key]));
    n++;
  }
  g.stroke();
  canvas.dataset.points = String(n);
  return n;
}

function renderPlots(s) {
  const now = Math.floor(s.at / 1000);
  plot($('rate-plot'), s.series, 'messages', '#4a90d9', s.windowS, now);
  plot($('restart-plot'), s.series, 'restarts', '#d93025', s.windowS, now);
  const recent = s.series.slice(-10);
  const avg = (k) => recent.reduce((t, p) => t + p[k], 0) / Math.max(1, recent.length);
  $('rate-now').textContent = `${avg('messages').toFixed(1)} now`;
  $('restart-now').textContent = `${avg('restarts').toFixed(2)} now`;
}

function renderMailboxes(s) {
  const list = $('mailboxes');
  const deep = s.actors
    .filter((a) => a.mailboxDepth !== null && !a.path.startsWith('sys/'))
    .sort((a, b) => b.mailboxDepth - a.mailboxDepth)
    .slice(0, 10);
  const max = Math.max(1, ...deep.map((a) => a.mailboxDepth));
  list.replaceChildren(
    ...deep.map((a) => {
      const li = el('li', `${a.path}@${a.node}: ${a.mailboxDepth}`);
      const bar = el('span', null, 'bar');
      bar.style.width = `${Math.round((a.mailboxDepth / max) * 160)}px`;
      li.append(bar);
      return li;
    }),
  );
}

function kv(pairs) {
  const d = el('div', null, 'kv');
  for (const [k, v, cls] of pairs) d.append(el('span', k), el('span', v, cls));
  return d;
}

// A panel's items drawn one each, or a single dim line that says there are none.
function fill(id, items, none, draw) {
  $(id).replaceChildren(...(items.length === 0 ? [none] : items.map(draw)));
}

function renderLedgers(s) {
  fill('ledgers', s.ledgers, el('p', 'no ledger has announced a checkpoint yet', 'dim'), (l) =>
    kv([
      ['ledger', `${l.origin ?? l.ledger} (${l.ledger}@${l.node})`],
      ['verification', l.verification, l.verification === 'ok' ? 'verify-ok' : 'verify-bad'],
      ['head size', l.size ?? '-'],
      ['root', l.root ?? '-'],
      ['stream cursor', l.cursor ?? '-'],
      [
        'checkpoint',
        l.size === null
          ? '-'
          : `size ${l.size}${l.checkpointAt ? ` at ${time(l.checkpointAt)}` : ''}`,
      ],
      [
        'cosigned',
        l.cosignedSize === null
          ? '-'
          : `size ${l.cosignedSize} by ${l.witnesses.length} witness(es)`,
      ],
      ['alerts', l.alerts],
    ]),
  );
}

function renderPeers(s) {
  const box = $('peers');
  if (s.peers === null) {
    box.replaceChildren(el('p', `no mesh bridge answers at ${s.bridge}`, 'dim'));
    return;
  }
  if (s.peers.length === 0) {
    box.replaceChildren(el('p', 'the bridge has no paired sites', 'dim'));
    return;
  }
  const t = el('table');
  t.append(
    ...s.peers.map((p) => {
      const tr = el('tr');
      tr.append(
        el('td', p.site),
        el('td', p.connected ? 'link up' : 'link down', p.connected ? 'link-up' : 'link-down'),
        el('td', `${p.held} held`),
        el('td', p.endpoints.join(', '), 'dim'),
      );
      return tr;
    }),
  );
  box.replaceChildren(t);
}

function renderAlerts(s) {
  fill('alerts', s.alerts, el('li', 'no alerts', 'dim'), (a) =>
    el(
      'li',
      `${time(a.at)} [${a.severity}] ${a.rule} ${a.actor}: ${a.message}`,
      `sev-${a.severity}`,
    ),
  );
}

function renderEvents(s) {
  $('events').replaceChildren(
    ...s.events.map((e) => el('li', `${time(e.at)} ${e.node} ${e.kind} ${e.path} ${e.text}`)),
  );
}

function render(s) {
  $('system').textContent = s.system;
  // A node is red while one of its actors is (crashed recently, hung or gave up).
  $('nodes').replaceChildren(
    el('span', `${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}: `),
    ...s.nodes.map((n) => {
      const bad = s.actors.some((a) => a.node === n && a.health !== 'ok' && a.health !== 'stopped');
      const span = el('span', n, bad ? 'node node-failed' : 'node');
      span.dataset.node = n;
      span.dataset.health = bad ? 'failed' : 'ok';
      return span;
    }),
  );
  renderTree(s);
  renderPlots(s);
  renderMailboxes(s);
  renderLedgers(s);
  renderPeers(s);
  renderAlerts(s);
  renderEvents(s);
  document.body.dataset.updated = String(s.at);
}

const stream = new EventSource(`/api/stream${q}`);
stream.addEventListener('open', () => {
  $('conn').textContent = 'live';
  $('conn').className = 'conn-up';
});
stream.addEventListener('error', () => {
  $('conn').textContent = 'reconnecting';
  $('conn').className = 'conn-down';
});
stream.addEventListener('snapshot', (m) => render(JSON.parse(m.data)));
