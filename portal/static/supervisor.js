// The supervisor screen: the live state of a customer's queues and agents
// from a server-sent event stream, and a chart of the last hour drawn as
// inline SVG.
(function () {
  'use strict';
  var root = document.getElementById('supervisor');
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var titles = {
    logged_out: 'Logged out', available: 'Available', ringing: 'Ringing',
    talking: 'On a call', wrap_up: 'After-call work', paused: 'Paused', not_ready: 'Not ready'
  };
  var state = null;
  var skew = 0; // local clock minus server clock, in ms

  function seconds(n) {
    n = Math.max(0, Math.floor(n));
    var m = Math.floor(n / 60), s = n % 60;
    return m > 0 ? m + ' min ' + s + ' s' : s + ' s';
  }
  function serverNow() { return Date.now() - skew; }

  function cell(tr, label, text, cls) {
    var td = document.createElement('td');
    td.setAttribute('data-label', label);
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function renderGroups(v) {
    var body = $('sup-groups').tBodies[0];
    body.textContent = '';
    if (!v.groups.length) {
      var tr = document.createElement('tr');
      var td = cell(tr, '', 'No groups.');
      td.colSpan = 10;
      body.appendChild(tr);
      return;
    }
    v.groups.forEach(function (g) {
      var tr = document.createElement('tr');
      tr.id = 'group-' + g.key;
      cell(tr, 'Group', g.name + (g.closed ? ' (closed)' : ''));
      cell(tr, 'Waiting', String(g.waiting), 'sup-waiting');
      var lw = cell(tr, 'Longest wait', g.waiting ? seconds(g.longest_wait_seconds) : '—', 'sup-longest');
      lw.setAttribute('data-base', g.longest_wait_seconds);
      lw.setAttribute('data-waiting', g.waiting);
      cell(tr, 'Service level', g.service_level === undefined ? '—' :
        Math.round(g.service_level) + ' % (target ' + g.target_percent + ' % in ' + g.target_within_seconds + ' s)');
      cell(tr, 'Available', String(g.agents.available || 0), 'sup-available');
      cell(tr, 'On a call', String((g.agents.talking || 0) + (g.agents.ringing || 0)), 'sup-talking');
      cell(tr, 'Wrap-up', String(g.agents.wrap_up || 0));
      cell(tr, 'Paused', String(g.agents.paused || 0));
      cell(tr, 'Not ready', String(g.agents.not_ready || 0));
      cell(tr, 'E-mails waiting', String(g.waiting_emails));
      body.appendChild(tr);
    });
  }

  function renderAgents(v) {
    var body = $('sup-agents').tBodies[0];
    body.textContent = '';
    if (!v.agents.length) {
      var tr = document.createElement('tr');
      var td = cell(tr, '', 'No agents.');
      td.colSpan = 6;
      body.appendChild(tr);
      return;
    }
    v.agents.forEach(function (a) {
      var tr = document.createElement('tr');
      tr.id = 'agent-' + a.id;
      cell(tr, 'Name', a.name);
      var st = cell(tr, 'State', titles[a.state] || a.state, 'sup-state');
      st.setAttribute('data-state', a.state);
      cell(tr, 'Reason', a.reason || '—');
      var since = cell(tr, 'Since', '', 'sup-since');
      since.setAttribute('data-since', a.since);
      cell(tr, 'Phone', a.registered ? 'registered' : 'not registered', 'sup-registered');
      var c = a.call;
      cell(tr, 'Current contact', c ? (c.from || 'withheld') + ' → ' + c.to : (a.emails ? a.emails + ' e-mail(s)' : '—'));
      body.appendChild(tr);
    });
  }

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  var series = [
    { key: 'waiting', title: 'Waiting', color: '#c0392b' },
    { key: 'talking', title: 'On a call', color: '#2c6fbb' },
    { key: 'available', title: 'Available', color: '#1e8449' }
  ];

  // renderChart draws the last hour: x is the time (60 minutes up to now),
  // y the count.
  function renderChart(v) {
    var box = $('sup-chart');
    var W = 640, H = 220, L = 36, R = 10, T = 10, B = 40;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', 'aria-label': 'Last hour', id: 'sup-chart-svg' });
    var end = Date.parse(v.at), start = end - 3600 * 1000;
    var max = 1;
    v.history.forEach(function (s) { series.forEach(function (d) { max = Math.max(max, s[d.key]); }); });
    var x = function (t) { return L + (W - L - R) * Math.max(0, (t - start)) / (end - start); };
    var y = function (n) { return H - B - (H - T - B) * n / max; };
    svg.appendChild(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888' }));
    svg.appendChild(el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#888' }));
    svg.appendChild(el('text', { x: L - 4, y: T + 10, 'text-anchor': 'end', 'font-size': 11 }, String(max)));
    svg.appendChild(el('text', { x: L - 4, y: H - B, 'text-anchor': 'end', 'font-size': 11 }, '0'));
    svg.appendChild(el('text', { x: L, y: H - B + 14, 'font-size': 11 }, '−60 min'));
    svg.appendChild(el('text', { x: W - R, y: H - B + 14, 'text-anchor': 'end', 'font-size': 11 }, 'now'));
    series.forEach(function (d, i) {
      var pts = v.history.map(function (s) { return x(Date.parse(s.at)).toFixed(1) + ',' + y(s[d.key]).toFixed(1); });
      if (pts.length === 1) { pts.push((W - R) + ',' + y(v.history[0][d.key]).toFixed(1)); }
      if (pts.length) {
        svg.appendChild(el('polyline', { points: pts.join(' '), fill: 'none', stroke: d.color, 'stroke-width': 2, 'class': 'series-' + d.key }));
      }
      var lx = L + i * 120;
      svg.appendChild(el('rect', { x: lx, y: H - 14, width: 10, height: 10, fill: d.color }));
      svg.appendChild(el('text', { x: lx + 14, y: H - 5, 'font-size': 11 }, d.title));
    });
    if (!v.history.length) {
      svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', 'font-size': 12 }, 'No data yet.'));
    }
    box.textContent = '';
    box.appendChild(svg);
  }

  function render(v) {
    state = v;
    skew = Date.now() - Date.parse(v.at);
    renderGroups(v);
    renderAgents(v);
    renderChart(v);
    tick();
  }

  // tick moves the waiting times and "since" columns on between events.
  function tick() {
    if (!state) { return; }
    var gone = (serverNow() - Date.parse(state.at)) / 1000;
    Array.prototype.forEach.call(document.querySelectorAll('#sup-groups .sup-longest'), function (td) {
      if (td.getAttribute('data-waiting') !== '0') {
        td.textContent = seconds(parseFloat(td.getAttribute('data-base')) + gone);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('#sup-agents .sup-since'), function (td) {
      td.textContent = seconds((serverNow() - Date.parse(td.getAttribute('data-since'))) / 1000);
    });
  }
  setInterval(tick, 1000);

  try { render(JSON.parse(root.getAttribute('data-state'))); } catch (e) { /* the stream sends the state too */ }

  var live = $('sup-live');
  var es = new EventSource(root.getAttribute('data-events'));
  es.onopen = function () { live.textContent = 'Live.'; };
  es.onerror = function () {
    live.textContent = es.readyState === EventSource.CLOSED ?
      'Disconnected. Reload the page; you may need to log in again.' : 'Connection lost; reconnecting…';
  };
  es.onmessage = function (e) {
    live.textContent = 'Live.';
    try { render(JSON.parse(e.data)); } catch (err) { /* the next event repairs it */ }
  };
})();
