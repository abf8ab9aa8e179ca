/* opdesk agent console: drafts saved on the server as the agent types, a
   banner when the open ticket changes, live updates, and keyboard
   shortcuts. Plain
   banner when the open ticket changes, keyboard shortcuts, and the preview
   of a standard response as it is chosen. Plain
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

  // --- Who else is here ---------------------------------------------------
  // The page beats every 10 s (and at once when its agent starts typing):
  // POST .../presence says viewing or typing and answers who else has the
  // ticket open; leaving the page says left.
  var presence = {typed: 0, beat: 0};

  function showOthers(others) {
    var p = document.getElementById("presence");
    if (!p) return;
    p.textContent = others.length ? "Also here: " + others.map(function (o) {
      return o.name + (o.state === "typing" ? " (typing)" : "");
    }).join(", ") : "";
  }

  function presenceForm(state) {
    var body = new URLSearchParams();
    body.set("csrf", document.querySelector("form input[name=csrf]").value);
    body.set("state", state);
    body.set("focused", document.hasFocus() ? "1" : "0");
    return body;
  }

  function beat() {
    var state = Date.now() - presence.typed < 8000 ? "typing" : "viewing";
    presence.beat = Date.now();
    fetch("/agent/tickets/" + encodeURIComponent(grid.dataset.ticket) + "/presence", {
      method: "POST", credentials: "same-origin", body: presenceForm(state),
      headers: {"Content-Type": "application/x-www-form-urlencoded"}
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) showOthers(v.others); }, function () {});
  }

  function watchPresence() {
    if (!document.querySelector("form input[name=csrf]")) return;
    beat();
    setInterval(beat, 10000);
    document.querySelectorAll("textarea").forEach(function (area) {
      area.addEventListener("input", function () {
        var first = Date.now() - presence.typed >= 8000;
        presence.typed = Date.now();
        if (first || Date.now() - presence.beat > 4000) beat();
      });
    });
    window.addEventListener("pagehide", function () {
      if (navigator.sendBeacon)
        navigator.sendBeacon("/agent/tickets/" + encodeURIComponent(grid.dataset.ticket) + "/presence",
                             presenceForm("left"));
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

  // --- Live updates ------------------------------------------------------
  // Server-Sent Events from /agent/stream carry ids only; the page fetches
  // itself again and swaps what shows the change: on a ticket its
  // description, timeline and side panel (never a form), in the queue the
  // whole list unless the agent is in the middle of something there (a
  // field focused, a row ticked), when a "refresh" link says how many
  // updates wait. Paused, the stream is closed; resumed, it starts after
  // the last event seen, so nothing that happened meanwhile is missed.
  var live = {source: null, last: "", paused: false, waiting: 0, timer: null};

  function liveBar() {
    var bar = document.createElement("div");
    bar.className = "live";
    bar.id = "live";
    var text = document.createElement("span");
    text.id = "live-status";
    text.setAttribute("role", "status");
    var btn = document.createElement("button");
    btn.type = "button";
    btn.id = "live-toggle";
    btn.className = "secondary";
    bar.appendChild(text);
    bar.appendChild(btn);
    var main = document.querySelector("main");
    main.parentNode.insertBefore(bar, main);
    btn.addEventListener("click", function () { setPaused(!live.paused); });
    return bar;
  }

  function showLive(words) {
    document.getElementById("live-status").textContent = words;
    document.getElementById("live-toggle").textContent = live.paused ? "Resume live updates" : "Pause live updates";
  }

  function busy() {
    var a = document.activeElement;
    if (a && a !== document.body && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.closest("main")) return true;
    return !!document.querySelector("main input[type=checkbox]:checked");
  }

  // The page again; the header's unread count is taken from it at once
  // (a notification usually comes with the event that woke the page).
  function fetchSelf() {
    return fetch(location.href, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var mine = document.getElementById("notif-count"), theirs = doc.getElementById("notif-count");
      if (mine && theirs) mine.replaceWith(document.adoptNode(theirs));
      return doc;
    });
  }

  function refreshTicket() {
    return fetchSelf().then(function (doc) {
      ["#description", "#timeline", "aside"].forEach(function (sel) {
        var mine = document.querySelector(sel), theirs = doc.querySelector(sel);
        if (mine && theirs) mine.replaceWith(document.adoptNode(theirs));
      });
      var g = doc.querySelector(".grid[data-ticket]");
      if (g && g.dataset.version !== grid.dataset.version)
        document.getElementById("changed").hidden = false;
    });
  }

  function refreshQueue() {
    if (busy()) {
      showLive(live.waiting + " update" + (live.waiting === 1 ? "" : "s") + " waiting: finish, or reload the page");
      return Promise.resolve();
    }
    var id = rows()[selected] ? rows()[selected].dataset.id : null;
    return fetchSelf().then(function (doc) {
      var main = document.querySelector("main"), theirs = doc.querySelector("main");
      if (!theirs) return;
      main.replaceWith(document.adoptNode(theirs));
      live.waiting = 0;
      selected = -1;
      rows().forEach(function (r, i) { if (r.dataset.id === id) select(i); });
      document.dispatchEvent(new CustomEvent("console:refreshed"));
    });
  }

  function onEvent(ev) {
    live.last = ev.lastEventId || live.last;
    live.waiting++;
    clearTimeout(live.timer);
    live.timer = setTimeout(function () {
      (grid ? refreshTicket() : refreshQueue()).then(function () {
        if (!live.waiting || grid) showLive("Live: updated " + new Date().toLocaleTimeString());
        if (grid) live.waiting = 0;
      }, function () { showLive("Live: the page could not be fetched; it will try again"); });
    }, 300);
  }

  function streamUrl() {
    var q = new URLSearchParams();
    if (grid) q.set("ticket", grid.dataset.ticket);
    else {
      var team = new URLSearchParams(location.search).get("team");
      if (team) q.set("team", team);
    }
    if (live.last) q.set("after", live.last);
    return "/agent/stream" + (q.toString() ? "?" + q.toString() : "");
  }

  function connect() {
    live.source = new EventSource(streamUrl());
    live.source.onmessage = onEvent;
    live.source.onopen = function () { showLive("Live updates on"); };
    live.source.onerror = function () { if (!live.paused) showLive("Live updates reconnecting\u2026"); };
  }

  function setPaused(p) {
    live.paused = p;
    if (p && live.source) { live.source.close(); live.source = null; showLive("Live updates paused"); }
    if (!p) { connect(); showLive("Live updates connecting\u2026"); }
  }

  function watchLive() {
    if (!window.EventSource || !document.querySelector("main")) return false;
    // From the history's end as the page was drawn: nothing in between is missed.
    var from = document.getElementById("live-from");
    live.last = from ? from.dataset.cursor : "";
    liveBar();
    connect();
    showLive("Live updates connecting\u2026");
    return true;
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
    search: function () { return focusField("f-q"); },
    pick: function () { return false; }  // the queue's bulk selection sets it (watchBulk)
  };

  function keyMap() {
    var map = {j: "next", k: "prev", o: "open", "/": "search", r: "reply", n: "note", a: "assign", e: "resolve",
               x: "pick"};
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

  // --- Bulk selection (the queue) ----------------------------------------
  // "Select all on this page" and the count of the selection above the
  // action bar; x (the "pick" shortcut) toggles the selected row's checkbox. Without this script
  // each checkbox still works on its own.
  function watchBulk() {
    var all = document.getElementById("bulk-all");
    var count = document.getElementById("bulk-count");
    var picks = function () { return Array.prototype.slice.call(document.querySelectorAll("input.pick")); };
    var show = function () {
      var n = picks().filter(function (p) { return p.checked; }).length;
      count.textContent = n ? n + " selected" : "None selected";
      all.checked = n > 0 && n === picks().length;
      all.indeterminate = n > 0 && n < picks().length;
    };
    all.hidden = false;
    all.addEventListener("change", function () {
      picks().forEach(function (p) { p.checked = all.checked; });
      show();
    });
    picks().forEach(function (p) { p.addEventListener("change", show); });
    actions.pick = function () {
      var r = rows()[selected], p = r && r.querySelector("input.pick");
      if (p) { p.checked = !p.checked; show(); }
      return !!p;
    };
    show();
  }

  function bulkPresent() {
    if (document.getElementById("bulk-all") && document.getElementById("bulk-count"))
      watchBulk();
  }

  // --- Standard responses in the reply form ---------------------------------
  // Choosing a response shows its preview (the server's fragment, the same
  // as the "Preview" button's page); "Edit before sending" puts the text
  // into the reply box and drops the choice (sent, it is the agent's own).
  function watchResponses() {
    var pick = document.getElementById("reply-response");
    var box = document.getElementById("reply-preview");
    if (!pick || !box) return;
    pick.addEventListener("change", function () {
      if (!pick.value) { box.textContent = ""; return; }
      fetch("/agent/tickets/" + encodeURIComponent(grid.dataset.ticket) + "/preview?response=" +
            encodeURIComponent(pick.value), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; }, function () {});
    });
    box.addEventListener("click", function (ev) {
      var text = document.getElementById("reply-preview-text");
      if (!ev.target.closest("#reply-edit") || !text) return;
      ev.preventDefault();
      var area = document.getElementById("reply-body");
      area.value = area.value ? area.value + "\n\n" + text.textContent : text.textContent;
      pick.value = "";
      box.textContent = "";
      area.focus();
      area.dispatchEvent(new Event("input"));
    });
  }

  var streaming = (grid || document.getElementById("filters")) && watchLive();
  if (grid) {
    watchDrafts();
    if (!streaming) watchVersion();
    watchResponses();
    watchPresence();
  }
  bulkPresent();
  // A live update redrew the queue: its new checkboxes need their handlers.
  document.addEventListener("console:refreshed", bulkPresent);
})();
