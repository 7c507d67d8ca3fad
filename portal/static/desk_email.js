// E-mail contacts on the agent desktop: the e-mails assigned to this
// agent, one opened with its text and attachments, a reply sent from the
// group's address, or closed without a reply. Everything goes through the
// JSON API with the session's CSRF token. Mail is shown as text only (the
// server gives the text of an HTML-only mail): nothing received is ever
// inserted into the page as HTML.
(function () {
  'use strict';
  var box = document.getElementById('desk-emails');
  var desk = document.getElementById('desk');
  if (!box || !window.fetch) { return; }
  var csrf = (desk && desk.getAttribute('data-csrf')) || '';
  var api = '/api/v1/desk/emails';
  var openID = null;   // the e-mail shown, if any
  var known = '';      // ids of the listed e-mails, to notice changes
  var busy = false;    // a reply or close is on its way

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) { return; }
      if (k.indexOf('on') === 0) { e.addEventListener(k.slice(2), v); }
      else if (k === 'text') { e.textContent = v; }
      else { e.setAttribute(k, v === true ? '' : v); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }

  function call(method, path, body) {
    var opts = { method: method, credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(api + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var err = new Error((j && j.error && j.error.message) || ('The request failed (' + r.status + ').'));
          err.status = r.status;
          throw err;
        }
        return j;
      });
    });
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString();
  }

  function size(n) {
    if (n < 1024) { return n + ' B'; }
    if (n < 1024 * 1024) { return Math.round(n / 1024) + ' KB'; }
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }

  var title = el('h2', { text: 'E-mails' });
  var list = el('ul', { id: 'email-list', class: 'email-list' });
  var none = el('p', { id: 'email-none', text: 'No e-mail.' });
  var detail = el('div', { id: 'email-detail', hidden: true });
  var error = el('p', { class: 'field-error', role: 'alert', id: 'email-error', hidden: true });
  var notice = el('p', { class: 'hint', role: 'status', id: 'email-notice', hidden: true });
  box.classList.add('card');
  [title, none, list, error, notice, detail].forEach(function (c) { box.appendChild(c); });
  box.hidden = false;

  function say(node, msg) {
    node.textContent = msg || '';
    node.hidden = !msg;
  }

  function renderList(items) {
    list.textContent = '';
    none.hidden = items.length > 0;
    items.forEach(function (m) {
      var b = el('button', { type: 'button', class: 'link', 'data-id': String(m.id),
        onclick: function () { open(m.id); } }, [
        el('strong', { text: m.subject || '(no subject)' }),
        document.createTextNode(' — ' + (m.from_name ? m.from_name + ' <' + m.from + '>' : m.from) + ' · ' + when(m.received_at))
      ]);
      if (m.id === openID) { b.setAttribute('aria-current', 'true'); }
      list.appendChild(el('li', {}, [b]));
    });
  }

  function refresh() {
    return call('GET', '').then(function (items) {
      known = items.map(function (m) { return m.id; }).join(',');
      renderList(items);
      if (openID !== null && !items.some(function (m) { return m.id === openID; }) && !busy) {
        openID = null;
        detail.hidden = true;
      }
    }).catch(function (e) {
      if (e.status === 403) { box.hidden = true; return; } // not an agent, or no ACM
      say(error, e.message);
    });
  }

  function open(id) {
    say(error, '');
    say(notice, '');
    call('GET', '/' + id).then(function (m) {
      openID = m.id;
      showDetail(m);
      refresh();
    }).catch(function (e) { say(error, e.message); });
  }

  function showDetail(m) {
    detail.textContent = '';
    var who = m.from_name ? m.from_name + ' <' + m.from + '>' : m.from;
    var meta = el('dl', {}, [
      el('dt', { text: 'From' }), el('dd', { id: 'email-from', text: who }),
      el('dt', { text: 'To' }), el('dd', { text: m.to }),
      el('dt', { text: 'Received' }), el('dd', { text: when(m.received_at) })
    ]);
    var body = el('pre', { id: 'email-text', class: 'email-text', text: m.text || '(no text)' });
    body.style.whiteSpace = 'pre-wrap'; // long lines wrap (set here: the page allows no inline styles)
    var atts = el('ul', { id: 'email-attachments' });
    (m.attachments || []).forEach(function (a) {
      atts.appendChild(el('li', {}, [
        el('a', { href: a.url, download: a.filename, text: a.filename }),
        document.createTextNode(' (' + size(a.size) + ')')
      ]));
    });
    detail.appendChild(el('h3', { id: 'email-subject', text: m.subject || '(no subject)' }));
    detail.appendChild(meta);
    detail.appendChild(body);
    if (m.attachments && m.attachments.length) {
      detail.appendChild(el('h4', { text: 'Attachments' }));
      detail.appendChild(atts);
    }
    if (m.state !== 'assigned') {
      detail.appendChild(el('p', { class: 'hint', text: m.state === 'answered' ? 'Answered.' : 'Closed.' }));
      if (m.reply) { detail.appendChild(el('pre', { class: 'email-text', text: m.reply })); }
      detail.hidden = false;
      return;
    }
    var text = el('textarea', { id: 'email-reply', rows: '8', name: 'body', 'aria-label': 'Reply' });
    var fieldErr = el('p', { class: 'field-error', id: 'email-reply-error', hidden: true });
    var send = el('button', { type: 'button', id: 'email-send', text: 'Send reply' });
    var close = el('button', { type: 'button', id: 'email-close', class: 'secondary', text: 'Close without reply' });
    function act(path, payload, done) {
      if (busy) { return; }
      busy = true;
      send.disabled = close.disabled = true;
      say(error, '');
      say(fieldErr, '');
      call('POST', '/' + m.id + path, payload).then(function () {
        openID = null;
        detail.hidden = true;
        say(notice, done);
      }).catch(function (e) {
        say(e.status === 422 ? fieldErr : error, e.message);
      }).then(function () {
        busy = false;
        send.disabled = close.disabled = false;
        refresh();
      });
    }
    send.addEventListener('click', function () {
      if (!text.value.trim()) { say(fieldErr, 'Write the reply.'); text.focus(); return; }
      act('/reply', { body: text.value }, 'Reply sent.');
    });
    close.addEventListener('click', function () { act('/close', undefined, 'E-mail closed without a reply.'); });
    detail.appendChild(el('label', { for: 'email-reply', text: 'Reply (the original text is quoted below it)' }));
    detail.appendChild(text);
    detail.appendChild(fieldErr);
    detail.appendChild(el('div', { class: 'desk-buttons' }, [send, close]));
    detail.hidden = false;
  }

  // The desktop's live status names the e-mails the agent holds: refresh
  // the list when they change. A slow poll covers a broken stream.
  var events = desk && desk.getAttribute('data-events');
  if (events && window.EventSource) {
    var es = new EventSource(events);
    es.onmessage = function (e) {
      var st;
      try { st = JSON.parse(e.data); } catch (x) { return; }
      var asc = function (a, b) { return a - b; };
      var held = (st.emails || []).map(function (c) { return c.email_id; }).filter(Boolean).sort(asc).join(',');
      var listed = known.split(',').filter(Boolean).map(Number).sort(asc).join(',');
      if (held !== listed) { refresh(); }
    };
  }
  setInterval(function () { if (!document.hidden) { refresh(); } }, 30000);
  refresh();
})();
