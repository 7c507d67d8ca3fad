// Live campaign progress: polls the campaigns API every 2 seconds and
// updates the rows (or the status card) marked data-campaign.
(function () {
  "use strict";
  var root = document.querySelector("[data-poll]");
  if (!root) { return; }
  var url = root.getAttribute("data-poll");
  function set(el, name, value) {
    var f = el.querySelector('[data-field="' + name + '"]');
    if (f) { f.textContent = String(value); }
  }
  function update(list) {
    list.forEach(function (c) {
      var el = root.querySelector('[data-campaign="' + c.id + '"]');
      if (!el) { return; }
      var p = c.progress;
      set(el, "state", c.state);
      set(el, "done", p.done);
      set(el, "total", p.total);
      set(el, "calling", p.calling);
      set(el, "answered", p.answered);
      set(el, "connected", p.connected);
      set(el, "percent", c.percent + "%");
      var bar = el.querySelector('[data-field="bar"]');
      if (bar) {
        bar.max = Math.max(p.total, 1);
        bar.value = p.done;
        bar.textContent = c.percent + "%";
      }
    });
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (list) { if (list) { update(list); } })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
}());
