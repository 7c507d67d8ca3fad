// Routing tree editor (TRM-1, TRM-5). It edits the tree's JSON document in
// memory, shows it as one card per node, and saves it through the API
// (PUT /api/v1/tenants/:tid/trees/:id) with the session's CSRF token.
// Problems the server finds are shown on the card of the node they name.
// Without JavaScript the page keeps its plain JSON form.
(function () {
  'use strict';

  var root = document.getElementById('tree-editor');
  if (!root || !window.fetch) { return; }
  var cfg;
  try { cfg = JSON.parse(root.getAttribute('data-config')); } catch (e) { return; }
  var csrf = root.getAttribute('data-csrf') || '';
  var tree = cfg.tree || { nodes: [] };
  if (!Array.isArray(tree.nodes)) { tree.nodes = []; }
  var version = cfg.version;
  var problems = cfg.problems || [];
  var canWrite = !!cfg.can_write;
  var jsonBox = document.getElementById('tree-json');
  var baseField = document.querySelector('#json-form input[name="base_version"]');

  var TYPES = [
    ['time', 'Time of day and weekday'], ['date', 'Dates and holidays'], ['caller', 'Caller number'],
    ['dialed', 'Dialed number'], ['list', 'Caller in a list'], ['percent', 'Share of calls'],
    ['menu', 'Menu (caller presses a key)'], ['number', 'Ring a number'], ['announcement', 'Play an announcement'],
    ['tree', 'Go to another tree'], ['voicemail', 'Voicemail'], ['hangup', 'Hang up'], ['busy', 'Busy signal'],
    ['group', 'ACM group (available with ACM)']
  ];
  var DECISIONS = ['time', 'date', 'caller', 'dialed', 'list', 'percent', 'menu'];
  var OUTCOMES = {
    number: ['busy', 'no_answer', 'unreachable', 'site_down', 'otherwise'],
    group: ['group_closed', 'group_full', 'group_timeout', 'unreachable', 'otherwise']
  };
  var OUTCOME_TEXT = {
    busy: 'If busy', no_answer: 'If no answer', unreachable: 'If unreachable', site_down: 'If its site is down',
    otherwise: 'Otherwise', group_closed: 'If the group is closed', group_full: 'If the queue is full',
    group_timeout: 'If the caller waited too long'
  };
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var KINDS = ['fixed', 'mobile', 'international'];

  function typeTitle(t) {
    for (var i = 0; i < TYPES.length; i++) { if (TYPES[i][0] === t) { return TYPES[i][1]; } }
    return t;
  }

  // el builds an element; attrs set properties (on*) or attributes.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) { return; }
        if (k.indexOf('on') === 0) { e.addEventListener(k.slice(2), v); }
        else if (k === 'text') { e.textContent = v; }
        else if (k === 'value') { e.value = v; }
        else if (k === 'checked') { e.checked = true; }
        else { e.setAttribute(k, v === true ? '' : v); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) { continue; }
      if (Array.isArray(c)) { c.forEach(function (x) { if (x) { e.appendChild(x); } }); }
      else if (typeof c === 'string') { e.appendChild(document.createTextNode(c)); }
      else { e.appendChild(c); }
    }
    return e;
  }

  function field(label, input, hint) {
    return el('label', null, label + ' ', input, hint ? el('span', { class: 'hint' }, hint) : null);
  }

  // Inputs that write back into obj[key] on change.
  function textInput(obj, key, attrs) {
    var a = Object.assign({ value: obj[key] === undefined ? '' : String(obj[key]), disabled: !canWrite, 'data-field': key }, attrs || {});
    a.onchange = function (ev) {
      var v = ev.target.value.trim();
      if (a.type === 'number') { v = v === '' ? undefined : Number(v); }
      set(obj, key, v);
      changed();
    };
    return el('input', a);
  }

  function listInput(obj, key, placeholder) {
    var v = Array.isArray(obj[key]) ? obj[key].join(', ') : '';
    return el('input', {
      value: v, placeholder: placeholder, disabled: !canWrite, 'data-field': key,
      onchange: function (ev) {
        var parts = ev.target.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
        set(obj, key, parts);
        changed();
      }
    });
  }

  function checkbox(obj, key, label) {
    return el('label', { class: 'check' }, el('input', {
      type: 'checkbox', checked: !!obj[key], disabled: !canWrite, 'data-field': key,
      onchange: function (ev) { set(obj, key, ev.target.checked); changed(); }
    }), ' ' + label);
  }

  function select(obj, key, options, empty, attrs) {
    var cur = obj[key] || '';
    var s = el('select', Object.assign({ disabled: !canWrite, 'data-field': key, onchange: function (ev) { set(obj, key, ev.target.value); changed(key === 'start' || key === 'fallback'); } }, attrs || {}));
    if (empty !== null) { s.appendChild(el('option', { value: '' }, empty)); }
    var seen = false;
    options.forEach(function (o) {
      var v = Array.isArray(o) ? o[0] : o;
      var t = Array.isArray(o) ? o[1] : o;
      if (v === cur) { seen = true; }
      s.appendChild(el('option', { value: v, selected: v === cur }, t));
    });
    if (cur && !seen) { s.appendChild(el('option', { value: cur, selected: true }, cur + ' (missing)')); }
    return s;
  }

  // nodeSelect offers every other node as a target.
  function nodeSelect(obj, key, self, empty) {
    var opts = tree.nodes.filter(function (n) { return n.id !== self; }).map(function (n) {
      return [n.id, n.id + (n.label ? ' — ' + n.label : '') + ' (' + n.type + ')'];
    });
    return select(obj, key, opts, empty === undefined ? '— choose —' : empty, { class: 'node-ref' });
  }

  function set(obj, key, v) {
    if (v === '' || v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0)) { delete obj[key]; }
    else { obj[key] = v; }
  }

  function button(text, onclick, cls, title) {
    return el('button', { type: 'button', class: cls || 'secondary', title: title, 'aria-label': title, disabled: !canWrite, onclick: onclick }, text);
  }

  function move(list, i, d) {
    var j = i + d;
    if (j < 0 || j >= list.length) { return; }
    var x = list[i]; list[i] = list[j]; list[j] = x;
    changed(true);
  }

  // Weekday sets: ["mon-fri","sun"] <-> [true x7].
  function expandDays(days) {
    var on = [false, false, false, false, false, false, false];
    (days || []).forEach(function (d) {
      var p = d.toLowerCase().split('-');
      var a = DAYS.indexOf(p[0].slice(0, 3));
      var b = p.length > 1 ? DAYS.indexOf(p[1].slice(0, 3)) : a;
      if (a < 0 || b < 0) { return; }
      for (var i = a; ; i = (i + 1) % 7) { on[i] = true; if (i === b) { break; } }
    });
    return on;
  }
  function compressDays(on) {
    var out = [];
    for (var i = 0; i < 7;) {
      if (!on[i]) { i++; continue; }
      var j = i;
      while (j + 1 < 7 && on[j + 1]) { j++; }
      out.push(j > i ? DAYS[i] + '-' + DAYS[j] : DAYS[i]);
      i = j + 1;
    }
    return out;
  }

  // Problems and references.
  function problemsOf(id) {
    return problems.filter(function (p) { return (p.node || '') === id; });
  }
  function refsOf(n) {
    var r = [];
    function add(v, what) { if (v) { r.push([v, what]); } }
    (n.branches || []).forEach(function (b, i) { add(b.next, 'branch ' + (i + 1)); });
    add(n['default'], 'default'); add(n.no_input, 'no input'); add(n.invalid, 'invalid input'); add(n.next, 'then');
    Object.keys(n.on || {}).forEach(function (o) { add(n.on[o], OUTCOME_TEXT[o] || o); });
    return r;
  }
  function localProblems(n, ids) {
    return refsOf(n).filter(function (r) { return !ids[r[0]]; }).map(function (r) {
      return { node: n.id, message: r[1] + ' goes to node "' + r[0] + '", which does not exist' };
    });
  }

  // Cards.
  function branchFields(n, b) {
    switch (n.type) {
      case 'time':
        if (!Array.isArray(b.windows)) { b.windows = []; }
        return el('div', { class: 'windows' }, b.windows.map(function (w, wi) {
          var on = expandDays(w.days);
          return el('div', { class: 'window' },
            el('span', { class: 'days' }, DAYS.map(function (d, di) {
              return el('label', { class: 'check' }, el('input', {
                type: 'checkbox', checked: on[di], disabled: !canWrite,
                onchange: function (ev) { on[di] = ev.target.checked; w.days = compressDays(on); changed(); }
              }), ' ' + d);
            })),
            field('from', textInput(w, 'from', { type: 'time' })),
            field('to', textInput(w, 'to', { placeholder: '18:00 or 24:00', size: 6 })),
            button('Remove window', function () { b.windows.splice(wi, 1); changed(true); }, 'link')
          );
        }), button('+ time window', function () { b.windows.push({ days: ['mon-fri'], from: '08:00', to: '18:00' }); changed(true); }));
      case 'date':
        if (!Array.isArray(b.dates)) { b.dates = []; }
        var cals = (tree.calendars || []).map(function (c) { return c.name; });
        return el('div', null, b.dates.map(function (d, di) {
          return el('div', { class: 'window' },
            field('from', textInput(d, 'from', { placeholder: 'YYYY-MM-DD or MM-DD', size: 11 })),
            field('to', textInput(d, 'to', { placeholder: 'same day', size: 11 })),
            checkbox(d, 'yearly', 'every year'),
            button('Remove', function () { b.dates.splice(di, 1); changed(true); }, 'link'));
        }), button('+ date range', function () { b.dates.push({ from: '' }); changed(true); }),
        cals.length ? field('or calendar', select(b, 'calendar', cals, '—')) : el('span', { class: 'hint' }, 'Holiday calendars are edited in the JSON below.'));
      case 'caller':
        return el('div', { class: 'row' },
          field('Number starts with', listInput(b, 'prefixes', '+322, 0475')),
          el('span', null, KINDS.map(function (k) {
            return el('label', { class: 'check' }, el('input', {
              type: 'checkbox', checked: (b.kinds || []).indexOf(k) >= 0, disabled: !canWrite,
              onchange: function (ev) {
                var ks = (b.kinds || []).filter(function (x) { return x !== k; });
                if (ev.target.checked) { ks.push(k); }
                set(b, 'kinds', ks); changed();
              }
            }), ' ' + k);
          })),
          checkbox(b, 'withheld', 'number withheld'));
      case 'dialed':
        return el('div', { class: 'row' }, field('Numbers', listInput(b, 'numbers', '+3222220000')), field('or prefixes', listInput(b, 'prefixes', '+3222')));
      case 'list':
        return field('Caller is in list', select(b, 'list', cfg.lists || [], '— choose a list —'));
      case 'percent':
        return field('Share (%)', textInput(b, 'weight', { type: 'number', min: 1, max: 100, size: 4 }));
      case 'menu':
        return field('Keys pressed', textInput(b, 'digits', { size: 4, placeholder: '1' }));
    }
    return null;
  }

  function nodeBody(n) {
    var parts = [];
    if (DECISIONS.indexOf(n.type) >= 0) {
      if (n.type === 'menu') {
        parts.push(el('div', { class: 'row' },
          field('Message', select(n, 'prompt', cfg.prompts || [], '— choose a prompt —')),
          field('Wait (s)', textInput(n, 'timeout', { type: 'number', min: 1, max: 60, size: 3, placeholder: '5' })),
          field('Repeats', textInput(n, 'retries', { type: 'number', min: 0, max: 9, size: 3 }))));
      }
      if (!Array.isArray(n.branches)) { n.branches = []; }
      var lis = n.branches.map(function (b, i) {
        return el('li', { class: 'branch' },
          el('div', { class: 'row' },
            field('Branch', textInput(b, 'label', { placeholder: 'label', size: 14 })),
            field('goes to', nodeSelect(b, 'next', n.id)),
            el('span', { class: 'tools' },
              button('↑', function () { move(n.branches, i, -1); }, 'secondary', 'Move branch up'),
              button('↓', function () { move(n.branches, i, 1); }, 'secondary', 'Move branch down'),
              button('✕', function () { n.branches.splice(i, 1); changed(true); }, 'secondary', 'Remove branch'))),
          branchFields(n, b));
      });
      parts.push(el('p', { class: 'hint' }, 'Branches are tried in order; the first that matches wins.'));
      parts.push(el('ol', { class: 'branches' }, lis));
      parts.push(button('+ branch', function () { n.branches.push({ next: '' }); changed(true); }));
      if (n.type !== 'percent') {
        parts.push(field(n.type === 'menu' ? 'Nothing valid pressed: go to' : 'None matches: go to', nodeSelect(n, 'default', n.id, '— hang up —')));
      }
      if (n.type === 'menu') {
        parts.push(el('div', { class: 'row' },
          field('No key pressed', nodeSelect(n, 'no_input', n.id, '— as above —')),
          field('Wrong key', nodeSelect(n, 'invalid', n.id, '— as above —'))));
      }
      return parts;
    }
    switch (n.type) {
      case 'number':
        parts.push(el('div', { class: 'row' },
          field('Number', textInput(n, 'number', { type: 'tel', placeholder: '+3222220000', size: 16 })),
          field('Ring (s)', textInput(n, 'ring_timeout', { type: 'number', min: 1, max: 600, size: 4, placeholder: '20' })),
          field('Site', select(n, 'site', cfg.sites || [], '—'))));
        break;
      case 'group':
        if (!(cfg.groups || []).length) {
          parts.push(el('p', { class: 'notice' }, 'Agent groups come with the contact centre option; create them on the Groups page.'));
        }
        parts.push(field('Group', select(n, 'group', cfg.groups || [], '— choose a group —')));
        break;
      case 'announcement':
        parts.push(el('div', { class: 'row' },
          field('Prompt', select(n, 'prompt', cfg.prompts || [], '— choose a prompt —')),
          field('Then', nodeSelect(n, 'next', n.id, '— hang up —'))));
        break;
      case 'tree':
        parts.push(field('Tree', select(n, 'tree', cfg.trees || [], '— choose a tree —')));
        break;
      case 'voicemail':
        parts.push(field('Longest message (s)', textInput(n, 'max_seconds', { type: 'number', min: 0, max: 600, size: 4 })));
        break;
      default:
        parts.push(el('p', { class: 'hint' }, n.type === 'busy' ? 'The caller hears a busy signal.' : 'The call ends.'));
    }
    if (OUTCOMES[n.type]) {
      if (!n.on) { n.on = {}; }
      parts.push(el('div', { class: 'alternatives' }, el('strong', null, 'Alternatives'),
        OUTCOMES[n.type].map(function (o) { return field(OUTCOME_TEXT[o], nodeSelect(n.on, o, n.id, '— tree fallback —')); })));
    }
    return parts;
  }

  function card(n, i, ids, usedBy) {
    var ps = problemsOf(n.id).concat(localProblems(n, ids));
    var isStart = tree.start === n.id;
    var users = usedBy[n.id] || [];
    return el('article', { class: 'node-card' + (ps.length ? ' has-problems' : '') + (isStart ? ' start' : ''), id: 'node-' + n.id, 'data-node': n.id },
      el('header', null,
        el('code', null, n.id),
        el('span', { class: 'badge' }, typeTitle(n.type)),
        isStart ? el('span', { class: 'badge ok' }, 'start') : null,
        tree.fallback === n.id ? el('span', { class: 'badge' }, 'fallback') : null,
        textInput(n, 'label', { placeholder: 'label', size: 18, 'aria-label': 'Label of ' + n.id }),
        el('span', { class: 'tools' },
          isStart ? null : button('Make start', function () { tree.start = n.id; changed(true); }),
          button('↑', function () { move(tree.nodes, i, -1); }, 'secondary', 'Move node up'),
          button('↓', function () { move(tree.nodes, i, 1); }, 'secondary', 'Move node down'),
          button('Delete', function () {
            if (users.length && !window.confirm('Node ' + n.id + ' is used by ' + users.join(', ') + '. Delete it anyway? Those references will be flagged.')) { return; }
            tree.nodes.splice(i, 1);
            if (tree.start === n.id) { delete tree.start; }
            changed(true);
          }, 'danger'))),
      ps.length ? el('ul', { class: 'problems', role: 'alert' }, ps.map(function (p) {
        return el('li', null, p.field ? el('code', null, p.field) : null, p.field ? ': ' : '', p.message);
      })) : null,
      users.length ? el('p', { class: 'hint' }, 'Reached from: ' + users.join(', ')) : (isStart || tree.fallback === n.id ? null : el('p', { class: 'hint' }, 'Not reached from any node.')),
      el('div', { class: 'node-body' }, nodeBody(n)));
  }

  var statusLine = el('p', { class: 'hint', role: 'status', 'aria-live': 'polite', id: 'editor-status' });
  var comment = el('input', { placeholder: 'what changed (optional)', maxlength: 500, size: 30, id: 'editor-comment', disabled: !canWrite });
  var saveButton = el('button', { type: 'button', id: 'editor-save', disabled: !canWrite, onclick: save }, 'Save');

  function toolbar(ids) {
    var newType = el('select', { id: 'new-node-type', 'aria-label': 'Type of the new node', disabled: !canWrite }, TYPES.map(function (t) { return el('option', { value: t[0] }, t[1]); }));
    var newID = el('input', { id: 'new-node-id', placeholder: 'new node id', size: 14, 'aria-label': 'Id of the new node', disabled: !canWrite });
    function add() {
      var id = newID.value.trim();
      if (!id) { say('Give the new node an id, such as "reception".'); newID.focus(); return; }
      if (/\s/.test(id)) { say('A node id cannot contain spaces.'); return; }
      if (ids[id]) { say('There is already a node "' + id + '".'); return; }
      var n = { id: id, type: newType.value };
      if (DECISIONS.indexOf(n.type) >= 0) { n.branches = []; }
      if (n.type === 'number') { n.number = ''; }
      tree.nodes.push(n);
      if (!tree.start) { tree.start = id; }
      changed(true);
      var c = document.getElementById('node-' + id);
      if (c) { c.scrollIntoView({ block: 'center' }); }
    }
    var tz = textInput(tree, 'time_zone', { placeholder: 'Europe/Brussels', size: 16 });
    return el('div', { class: 'editor-toolbar' },
      el('div', { class: 'row' },
        field('Start at', select(tree, 'start', tree.nodes.map(function (n) { return n.id; }), '— choose —')),
        field('When a destination fails without alternative', select(tree, 'fallback', tree.nodes.map(function (n) { return n.id; }), '— hang up —')),
        field('Time zone', tz)),
      canWrite ? el('div', { class: 'row' }, field('Add a node', newType), newID, el('button', { type: 'button', id: 'new-node-add', onclick: add }, 'Add node')) : null,
      canWrite ? el('div', { class: 'row' }, field('Comment', comment), saveButton) : null,
      statusLine);
  }

  function say(msg) { statusLine.textContent = msg; }

  function render() {
    var ids = {};
    tree.nodes.forEach(function (n) { ids[n.id] = true; });
    var usedBy = {};
    tree.nodes.forEach(function (n) {
      refsOf(n).forEach(function (r) {
        var u = usedBy[r[0]] = usedBy[r[0]] || [];
        if (u.indexOf(n.id) < 0) { u.push(n.id); }
      });
    });
    var treeProblems = problemsOf('');
    var focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.closest('[data-node]') : null;
    root.textContent = '';
    root.appendChild(el('h2', null, 'Editor'));
    root.appendChild(toolbar(ids));
    if (treeProblems.length) {
      root.appendChild(el('ul', { class: 'problems', role: 'alert', id: 'tree-problems' }, treeProblems.map(function (p) {
        return el('li', null, p.field ? el('code', null, p.field) : null, p.field ? ': ' : '', p.message);
      })));
    }
    root.appendChild(el('div', { class: 'node-cards' }, tree.nodes.map(function (n, i) { return card(n, i, ids, usedBy); })));
    if (!tree.nodes.length) { root.appendChild(el('p', { class: 'hint' }, 'The tree has no nodes yet. Add one above.')); }
    if (focused) {
      var again = document.getElementById(focused.id);
      if (again) { again.scrollIntoView({ block: 'nearest' }); }
    }
  }

  function prune(v) {
    if (Array.isArray(v)) { return v.map(prune); }
    if (v && typeof v === 'object') {
      var o = {};
      Object.keys(v).forEach(function (k) {
        var x = prune(v[k]);
        if (x === '' || x === undefined || x === null || x === false) { return; }
        if (Array.isArray(x) && x.length === 0 && k !== 'nodes') { return; }
        if (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0) { return; }
        o[k] = x;
      });
      return o;
    }
    return v;
  }

  var dirty = false;
  function changed(rerender) {
    dirty = true;
    if (jsonBox) { jsonBox.value = JSON.stringify(prune(tree), null, 2); }
    say('Unsaved changes.');
    if (rerender) { render(); say('Unsaved changes.'); }
  }

  function save() {
    saveButton.disabled = true;
    say('Saving…');
    fetch(cfg.api, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Accept': 'application/json' },
      body: JSON.stringify({ document: prune(tree), comment: comment.value.trim(), base_version: version })
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; }, function () { return { status: r.status, body: {} }; });
    }).then(function (res) {
      saveButton.disabled = false;
      if (res.status === 200) {
        version = res.body.version;
        tree = res.body.document;
        problems = [];
        dirty = false;
        comment.value = '';
        if (baseField) { baseField.value = version; }
        var badge = document.getElementById('tree-version');
        if (badge) { badge.textContent = 'version ' + version; }
        if (jsonBox) { jsonBox.value = JSON.stringify(tree, null, 2); }
        render();
        say('Saved as version ' + version + '. The next call uses it.');
        return;
      }
      problems = (res.body && res.body.problems) || [];
      render();
      var msg = (res.body && res.body.error && res.body.error.message) || ('Saving failed (HTTP ' + res.status + ').');
      say(problems.length ? 'Not saved: ' + problems.length + ' problem(s), shown on the nodes.' : 'Not saved: ' + msg);
    }, function () {
      saveButton.disabled = false;
      say('Not saved: the server could not be reached.');
    });
  }

  if (jsonBox) {
    jsonBox.addEventListener('change', function () {
      try {
        var t = JSON.parse(jsonBox.value);
        if (t && Array.isArray(t.nodes)) { tree = t; problems = []; render(); say('Loaded the JSON into the editor; unsaved.'); }
      } catch (e) { say('The JSON below does not parse; the editor keeps its version.'); }
    });
  }
  window.addEventListener('beforeunload', function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ''; }
  });
  var form = document.getElementById('json-form');
  if (form) { form.addEventListener('submit', function () { dirty = false; }); }

  render();
  if (problems.length) { say(problems.length + ' problem(s), shown on the nodes.'); }
}());
