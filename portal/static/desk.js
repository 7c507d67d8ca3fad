// The agent desktop: state buttons through the JSON API (with the session's
// CSRF token), live status from the server-sent event stream, and the
// built-in softphone (JsSIP over WebSocket to the media engine).
(function () {
  'use strict';
  var root = document.getElementById('desk');
  if (!root) { return; }
  var api = root.getAttribute('data-api');
  var csrf = root.getAttribute('data-csrf') || '';
  var $ = function (id) { return document.getElementById(id); };

  var titles = {
    logged_out: 'Logged out', available: 'Available', ringing: 'Ringing',
    talking: 'On a call', wrap_up: 'After-call work', paused: 'Paused', not_ready: 'Not ready'
  };
  var status = null;     // the last status received
  var skew = 0;          // local clock minus server clock, in ms
  // The waiting time of each call as first seen: how long the caller
  // waited before the call was offered to this agent.
  var waitedOf = {};

  function showError(msg) {
    var e = $('desk-error');
    e.textContent = msg || '';
    e.hidden = !msg;
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
          var m = (j && j.error && j.error.message) || ('The request failed (' + r.status + ').');
          throw new Error(m);
        }
        return j;
      });
    });
  }

  function setState(body) {
    showError('');
    call('POST', '/state', body).then(render).catch(function (e) { showError(e.message); });
  }

  $('desk-login').addEventListener('click', function () { setState({ state: 'available' }); });
  $('desk-resume').addEventListener('click', function () { setState({ state: 'available' }); });
  $('desk-logout').addEventListener('click', function () { setState({ state: 'logged_out' }); });
  $('desk-pause').addEventListener('click', function () {
    setState({ state: 'paused', reason: $('desk-pause-reason').value });
  });

  function seconds(n) {
    n = Math.max(0, Math.floor(n));
    var m = Math.floor(n / 60), s = n % 60;
    return m > 0 ? m + ' min ' + s + ' s' : s + ' s';
  }

  function serverNow() { return Date.now() - skew; }

  function render(v) {
    // Other parts of the page (the e-mail section) may follow the status
    // without a stream of their own.
    document.dispatchEvent(new CustomEvent('vms:desk-status', { detail: v }));
    status = v;
    status.receivedAt = Date.now();
    skew = Date.now() - Date.parse(v.at);
    var st = $('desk-state');
    st.textContent = titles[v.state] || v.state;
    st.setAttribute('data-state', v.state);
    $('desk-reason').textContent = v.reason ? '(' + v.reason + ')' : '';
    var out = v.state === 'logged_out';
    $('desk-unregistered').hidden = out || v.registered;
    var busy = v.state === 'ringing' || v.state === 'talking';
    $('desk-login').hidden = !out;
    $('desk-logout').hidden = out;
    $('desk-resume').hidden = !(v.state === 'paused' || v.state === 'not_ready' || v.state === 'wrap_up');
    $('desk-pause').hidden = out || busy;
    $('desk-pause-box').hidden = out || busy;
    $('desk-pause').disabled = busy;
    $('desk-logout').disabled = busy;
    var c = v.call;
    $('desk-call').hidden = !c;
    $('desk-no-contact').hidden = !!c;
    if (c) {
      if (waitedOf[c.id] === undefined) { waitedOf[c.id] = c.waited_seconds; }
      $('desk-caller').textContent = c.from || 'withheld';
      $('desk-dialed').textContent = c.to || '';
      var path = $('desk-path');
      path.textContent = '';
      (c.path || []).forEach(function (p) {
        var li = document.createElement('li');
        li.textContent = p;
        path.appendChild(li);
      });
    }
    tick();
  }

  // tick refreshes the times that move on their own.
  function tick() {
    if (!status) { return; }
    var now = serverNow();
    $('desk-since').textContent = status.state === 'logged_out' ? '' :
      'for ' + seconds((now - Date.parse(status.since)) / 1000);
    var w = $('desk-wrapup');
    if (status.state === 'wrap_up' && status.wrap_up_ends) {
      w.hidden = false;
      $('desk-wrapup-left').textContent = Math.max(0, Math.ceil((Date.parse(status.wrap_up_ends) - now) / 1000));
    } else {
      w.hidden = true;
    }
    if (status.call) {
      $('desk-waited').textContent = seconds(waitedOf[status.call.id]);
    }
  }
  setInterval(tick, 1000);

  // Live status.
  var live = $('desk-live');
  var es = new EventSource(root.getAttribute('data-events'));
  es.onopen = function () { live.textContent = 'Live.'; };
  es.onerror = function () {
    live.textContent = es.readyState === EventSource.CLOSED ?
      'Disconnected. Reload the page; you may need to log in again.' : 'Connection lost; reconnecting…';
  };
  es.onmessage = function (e) {
    live.textContent = 'Live.';
    try { render(JSON.parse(e.data)); } catch (err) { /* a partial event; the next one repairs it */ }
  };

  // The softphone.
  var phone = { ua: null, session: null, registered: false };
  window.vmsDesk = phone;
  if (root.getAttribute('data-softphone') !== 'on' || !window.JsSIP) { return; }

  var auto = $('phone-auto-answer');
  try { auto.checked = localStorage.getItem('vms.autoAnswer') === '1'; } catch (e) { /* storage off */ }
  auto.addEventListener('change', function () {
    try { localStorage.setItem('vms.autoAnswer', auto.checked ? '1' : '0'); } catch (e) { /* storage off */ }
  });
  function phoneStatus(s) {
    $('phone-status').textContent = s;
    $('phone-status').setAttribute('data-status', s);
  }
  var audio = $('phone-audio');

  function attachAudio(pc) {
    if (!pc) { return; }
    var stream = new MediaStream();
    pc.getReceivers().forEach(function (r) { if (r.track) { stream.addTrack(r.track); } });
    audio.srcObject = stream;
    var p = audio.play();
    if (p && p.catch) {
      // The browser refuses sound before the user touched the page (an
      // automatic answer right after loading it): play at the first click.
      p.catch(function () {
        $('phone-audio-hint').hidden = false;
        document.addEventListener('click', function () {
          $('phone-audio-hint').hidden = true;
          audio.play().catch(function () { /* still refused */ });
        }, { once: true });
      });
    }
    pc.addEventListener('track', function (ev) {
      if (ev.streams && ev.streams[0]) { audio.srcObject = ev.streams[0]; }
    });
  }

  function resetCall() {
    phone.session = null;
    $('phone-audio-hint').hidden = true;
    $('phone-incoming').hidden = true;
    $('phone-answer').hidden = true;
    $('phone-hangup').hidden = true;
    phoneStatus(phone.registered ? 'ready' : 'not registered');
  }

  function answer() {
    var s = phone.session;
    if (!s) { return; }
    $('phone-answer').hidden = true;
    s.answer({ mediaConstraints: { audio: true, video: false } });
  }
  $('phone-answer').addEventListener('click', answer);
  $('phone-hangup').addEventListener('click', function () {
    if (phone.session) { phone.session.terminate(); }
  });

  // stats sums the RTP bytes sent and received on the current call.
  phone.stats = function () {
    var pc = phone.session && phone.session.connection;
    if (!pc) { return Promise.resolve({ sent: 0, received: 0 }); }
    return pc.getStats().then(function (rep) {
      var out = { sent: 0, received: 0 };
      rep.forEach(function (r) {
        if (r.type === 'outbound-rtp') { out.sent += r.bytesSent || 0; }
        if (r.type === 'inbound-rtp') { out.received += r.bytesReceived || 0; }
      });
      return out;
    });
  };

  function start(cfg) {
    var ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(cfg.ws_url)],
      uri: cfg.uri,
      password: cfg.password,
      display_name: cfg.display_name,
      register: true,
      session_timers: false
    });
    phone.ua = ua;
    ua.on('connecting', function () { phoneStatus('connecting'); });
    ua.on('disconnected', function () { phone.registered = false; phoneStatus('disconnected'); });
    ua.on('registered', function () { phone.registered = true; if (!phone.session) { phoneStatus('ready'); } });
    ua.on('unregistered', function () { phone.registered = false; phoneStatus('not registered'); });
    ua.on('registrationFailed', function (e) {
      phone.registered = false;
      phoneStatus('registration failed' + (e && e.cause ? ': ' + e.cause : ''));
    });
    ua.on('newRTCSession', function (e) {
      if (e.originator !== 'remote') { return; }
      if (phone.session) { e.session.terminate({ status_code: 486 }); return; }
      var s = e.session;
      phone.session = s;
      var from = s.remote_identity && s.remote_identity.uri ? s.remote_identity.uri.user : '';
      if (s.remote_identity && s.remote_identity.display_name) { from = s.remote_identity.display_name + ' (' + from + ')'; }
      $('phone-from').textContent = from || 'unknown';
      $('phone-incoming').hidden = false;
      $('phone-hangup').hidden = false;
      phoneStatus('ringing');
      s.on('accepted', function () { phoneStatus('in call'); $('phone-incoming').hidden = true; attachAudio(s.connection); });
      s.on('confirmed', function () { phoneStatus('in call'); });
      s.on('ended', resetCall);
      s.on('failed', resetCall);
      if (auto.checked) { answer(); } else { $('phone-answer').hidden = false; }
    });
    ua.start();
  }

  phoneStatus('connecting');
  call('POST', '/softphone').then(start).catch(function (e) { phoneStatus('not available: ' + e.message); });
  window.addEventListener('pagehide', function () { if (phone.ua) { phone.ua.stop(); } });
})();
