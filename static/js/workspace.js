// Keyboard shortcuts for the sales workspace. No framework: the server renders everything and the
// shortcuts only move focus, follow links and press buttons that are already on the page.
(function () {
  "use strict";
  var QUEUE_KEY = "leadflow.queue";

  function typing(event) {
    var el = event.target;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  function helpDialog() { return document.getElementById("shortcut-help"); }

  function toggleHelp() {
    var dialog = helpDialog();
    if (!dialog) return;
    if (dialog.open) { dialog.close(); } else { dialog.showModal(); }
  }

  // Queue: remember the order of the leads on screen so j/k on a lead page walks the same list.
  function rememberQueue() {
    var table = document.querySelector("[data-lead-ids]");
    if (!table) return;
    var ids = table.getAttribute("data-lead-ids");
    sessionStorage.setItem(QUEUE_KEY, JSON.stringify(ids ? ids.split(",") : []));
  }

  function queueRows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-lead-url]")); }

  function moveInQueue(step) {
    var rows = queueRows();
    if (!rows.length) return;
    var current = rows.findIndex(function (row) { return row.classList.contains("is-current"); });
    var next = Math.min(Math.max(current + step, 0), rows.length - 1);
    if (current >= 0) rows[current].classList.remove("is-current");
    rows[next].classList.add("is-current");
    var link = rows[next].querySelector("a.lead-link");
    if (link) link.focus();
  }

  function currentRow() { return document.querySelector("tr.is-current") || null; }

  function moveFromLead(step) {
    var body = document.body;
    var ids = JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "[]");
    var index = ids.indexOf(body.getAttribute("data-lead-id"));
    if (index < 0 || !ids[index + step]) return;
    window.location.href = body.getAttribute("data-lead-url-template").replace("/0/", "/" + ids[index + step] + "/");
  }

  // Decisions (qualify, reject) carry the next lead of the queue, so the server can open it afterwards.
  function fillNextLead() {
    var ids = JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "[]");
    var index = ids.indexOf(document.body.getAttribute("data-lead-id"));
    var next = index >= 0 ? ids[index + 1] || "" : "";
    document.querySelectorAll("[data-next-lead]").forEach(function (input) { input.value = next; });
  }

  function press(name) {
    var button = document.querySelector('[data-shortcut="' + name + '"]');
    if (!button || button.disabled) return;
    if (button.tagName === "SUMMARY") {
      button.parentElement.open = true;
      // The first field a person types in, never the hidden CSRF or next-lead inputs.
      var field = button.parentElement.querySelector("textarea, input:not([type=hidden]), select");
      if (field) field.focus();
    } else {
      button.click();
    }
  }

  function onKey(event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "?" && !typing(event)) { event.preventDefault(); toggleHelp(); return; }
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();  // leave a field to use the shortcuts again
      return;
    }
    var page = document.body.getAttribute("data-page");
    var handlers = {
      j: function () { page === "lead" ? moveFromLead(1) : moveInQueue(1); },
      k: function () { page === "lead" ? moveFromLead(-1) : moveInQueue(-1); },
      o: function () { var row = currentRow(); if (row) window.location.href = row.getAttribute("data-lead-url"); },
      x: function () { var row = currentRow(); var box = row && row.querySelector("input[type=checkbox]"); if (box) box.click(); },
      q: function () { press("qualify"); },
      r: function () { press("reject"); },
      d: function () {
        var heading = document.getElementById("duplicates-title");
        if (heading) { heading.scrollIntoView({ block: "start" }); heading.focus(); }
      },
      "/": function () { var search = document.getElementById("id_q"); if (search) search.focus(); },
    };
    var handler = handlers[event.key];
    if (handler) { event.preventDefault(); handler(); }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help-open]")) toggleHelp();
  });
  // On a phone the filters start folded so the leads come first.
  function foldFiltersOnSmallScreens() {
    var filters = document.querySelector("details.filters");
    if (filters && window.matchMedia("(max-width: 900px)").matches) filters.open = false;
  }

  // Copy buttons for embed snippets: the text is always on the page; the button appears only when it can work.
  function showCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    navigator.clipboard.writeText(source.textContent).then(
      function () { if (status) status.textContent = "Copied."; },
      function () { if (status) status.textContent = "Copying was refused; select the text and copy it."; }
    );
  });

  document.addEventListener("DOMContentLoaded", showCopyButtons);
  document.addEventListener("DOMContentLoaded", rememberQueue);
  document.addEventListener("DOMContentLoaded", fillNextLead);
  document.addEventListener("DOMContentLoaded", foldFiltersOnSmallScreens);
  document.addEventListener("htmx:afterSwap", rememberQueue);
})();
