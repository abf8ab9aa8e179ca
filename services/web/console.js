/* opdesk agent console: drafts saved on the server as the agent types, a
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
  // Single letters without modifiers, ignored while typing in a field, so
  // none takes a key the browser uses (those come with Ctrl, Alt or Meta).
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

  var keys = {
    j: function () { select(selected + 1); return true; },
    k: function () { select(selected - 1); return true; },
    o: function () {
      var r = rows()[selected];
      if (r) location.href = r.querySelector("a").href;
      return !!r;
    },
    r: function () { return focusField("reply-body"); },
    n: function () { return focusField("note-body"); },
    a: function () { return focusField("assign-value"); },
    e: function () {
      var s = document.getElementById("status-value");
      if (!s) return false;
      s.value = "resolved";
      return focusField("status-note");
    },
    "/": function () { return focusField("f-q"); }
  };

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var fn = keys[ev.key];
    if (fn && fn()) ev.preventDefault();
  });

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

  if (grid) {
    watchDrafts();
    watchVersion();
    watchResponses();
  }
})();
