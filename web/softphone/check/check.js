// Exercises the bundle, then proves the CSP is enforced with one deliberate
// eval: the page must end with exactly one violation (that eval), so any
// violation from the bundle shows as a count above one.
const lines = [];
try {
  lines.push('version=' + JsSIP.version);
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface('ws://127.0.0.1:9/ws')],
    uri: 'sip:agent1@127.0.0.1',
    password: 'x',
    register: false,
  });
  lines.push('ua=' + (ua instanceof JsSIP.UA));
  lines.push('uriPort=' + JsSIP.URI.parse('sip:100@example.org:5060').port);
} catch (e) {
  lines.push('error=' + e);
}
let evalBlocked = false;
try {
  eval('1');
} catch (e) {
  evalBlocked = true;
}
lines.push('evalBlocked=' + evalBlocked);
setTimeout(() => {
  lines.push('violations=' + window.violations.length);
  document.getElementById('out').textContent = lines.join('\n');
}, 100);
