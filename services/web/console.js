/* opdesk agent console: drafts saved on the server as the agent types, a
   banner when the open ticket changes, and keyboard shortcuts. Plain
   JavaScript, no library, served as /agent/console.js (the pages'
   Content-Security-Policy allows this file and no inline script). Every
   page works without it. */
(function () {
  "use strict";

  var grid = document.querySelector(".grid[data-ticket]");

  // --- Drafts ------------------------------------------------------------
  // Each reply and note textarea posts its text (debounced) to
  // /agent/tickets/ID/draft with the form's CSRF token; the server puts it
  // back into the form when the ticket is opened again.
  function saveDraft(area, status) {
    var form = area.form;
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("kind", area.dataset.draft);
    body.set("body", area.value);
    status.textContent = "Saving draft\u2026";
    return fetch("/agent/tickets/" + encodeURIComponent(grid.dataset.ticket) + "/draft", {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Content-Type": "application/x-www-form-urlencoded"}
    }).then(function (r) {
      status.textContent = r.status === 204 ? "Draft saved" : "Draft not saved (" + r.status + ")";
    }, function () {
      status.textContent = "Draft not saved (offline)";
    });
  }

  function watchDrafts() {
    document.querySelectorAll("textarea[data-draft]").forEach(function (area) {
      var status = document.getElementById(area.id + "-draft");
      var timer = null;
      area.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { saveDraft(area, status); }, 600);
      });
    });
  }

  // --- The ticket changed -----------------------------------------------
  function watchVersion() {
    var banner = document.getElementById("changed");
    var seen = grid.dataset.version;
    setInterval(function () {
      fetch("/agent/tickets/" + encodeURIComponent(grid.dataset.ticket) + "/version",
            {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (v) {
          if (v && String(v.version) !== seen)
            banner.hidden = false;
        }, function () {});
    }, 5000);
  }

  // --- Keyboard shortcuts ---------------------------------------------------
  // Single keys without modifiers, ignored while typing in a field, so
  // none takes a key the browser uses (those come with Ctrl, Alt or Meta).
  // The server checks an agent's own choice of keys the same way.
  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr"));
  }

  function select(i) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, k) { r.classList.toggle("sel", k === selected); r.setAttribute("aria-selected", k === selected ? "true" : "false"); });
    all[selected].scrollIntoView({block: "nearest"});
  }

  function focusField(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); el.scrollIntoView({block: "center"}); }
    return !!el;
  }

  // Actions by name; which key does which is the agent's choice
  // (/agent/settings), sent in the header's data-keys: a key may be
  // remapped or turned off ("").
  var actions = {
    next: function () { select(selected + 1); return true; },
    prev: function () { select(selected - 1); return true; },
    open: function () {
      var r = rows()[selected];
      if (r) location.href = r.querySelector("a").href;
      return !!r;
    },
    reply: function () { return focusField("reply-body"); },
    note: function () { return focusField("note-body"); },
    assign: function () { return focusField("assign-value"); },
    resolve: function () {
      var s = document.getElementById("status-value");
      if (!s) return false;
      s.value = "resolved";
      return focusField("status-note");
    },
    search: function () { return focusField("f-q"); }
  };

  function keyMap() {
    var map = {j: "next", k: "prev", o: "open", "/": "search", r: "reply", n: "note", a: "assign", e: "resolve"};
    var link = document.getElementById("settings-link");
    if (!link || !link.dataset.keys) return map;
    var chosen;
    try { chosen = JSON.parse(link.dataset.keys); } catch (e) { return map; }
    map = {};
    Object.keys(chosen).forEach(function (action) {
      if (chosen[action] && actions[action]) map[chosen[action]] = action;
    });
    return map;
  }

  var keys = keyMap();

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var fn = keys.hasOwnProperty(ev.key) ? actions[keys[ev.key]] : null;
    if (fn && fn()) ev.preventDefault();
  });

  if (grid) {
    watchDrafts();
    watchVersion();
  }
})();
