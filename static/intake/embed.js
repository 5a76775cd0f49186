/* Leadflow embeddable form. Usage:
 *   <script src="https://leadflow.example/static/intake/embed.js" data-form="KEY" async></script>
 * Optional: data-lang="nl", data-target="element-id", data-css="none" (bring your own styles).
 * No framework; styles via --lf-* custom properties (embed.css). Retries with backoff when the server says so.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var key = script.getAttribute("data-form");
  var base = script.getAttribute("data-base") || new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "";
  var RETRYABLE = { 429: true, 502: true, 503: true, 504: true };
  var MAX_ATTEMPTS = 5;

  var mount = document.createElement("div");
  mount.className = "lf-embed";
  var target = script.getAttribute("data-target");
  if (target && document.getElementById(target)) document.getElementById(target).appendChild(mount);
  else script.parentNode.insertBefore(mount, script.nextSibling);

  if (script.getAttribute("data-css") !== "none") {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("embed.css", script.src).href;
    document.head.appendChild(link);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function backoff(attempt, response) {
    var header = response && response.headers.get("Retry-After");
    var seconds = header ? Math.min(parseInt(header, 10) || 1, 30) : Math.pow(2, attempt - 1);
    return seconds * 1000 * (0.75 + Math.random() * 0.5);
  }

  /* fetch that retries network failures and "try again" statuses; resolves with the last response. */
  function fetchWithRetry(url, options, onRetry) {
    var attempt = 0;
    function tryOnce() {
      attempt += 1;
      return fetch(url, options).then(function (response) {
        if (RETRYABLE[response.status] && attempt < MAX_ATTEMPTS) {
          if (onRetry) onRetry(attempt);
          return wait(backoff(attempt, response)).then(tryOnce);
        }
        return response;
      }, function (error) {
        if (attempt >= MAX_ATTEMPTS) throw error;
        if (onRetry) onRetry(attempt);
        return wait(backoff(attempt)).then(tryOnce);
      });
    }
    return tryOnce();
  }

  function render(def) {
    var form = el("form", { "class": "lf-form", novalidate: "", "data-lf-form": def.key, lang: def.language });
    var summary = el("p", { "class": "lf-summary", role: "alert", hidden: "" });
    form.appendChild(summary);
    def.fields.forEach(function (field) {
      var id = "lf-" + def.key + "-" + field.name;
      var wrap = el("div", { "class": "lf-field", "data-field": field.name });
      var label = el("label", { "for": id }, field.label);
      if (field.required) label.appendChild(el("span", { "class": "lf-req", "aria-hidden": "true" }, " *"));
      wrap.appendChild(label);
      var input = field.type === "textarea"
        ? el("textarea", { id: id, name: field.name })
        : el("input", { id: id, name: field.name, type: field.type });
      if (field.required) input.required = true;
      input.setAttribute("aria-describedby", id + "-help " + id + "-error");
      wrap.appendChild(input);
      if (field.help) wrap.appendChild(el("small", { id: id + "-help", "class": "lf-help" }, field.help));
      wrap.appendChild(el("span", { id: id + "-error", "class": "lf-error", "aria-live": "polite" }));
      form.appendChild(wrap);
    });
    if (def.consent) {
      var consent = el("div", { "class": "lf-field lf-consent", "data-field": "consent" });
      var consentLabel = el("label");
      consentLabel.appendChild(el("input", { type: "checkbox", name: "consent", value: "on" }));
      consentLabel.appendChild(document.createTextNode(" " + def.consent));
      consent.appendChild(consentLabel);
      consent.appendChild(el("span", { "class": "lf-error", "aria-live": "polite" }));
      form.appendChild(consent);
    }
    var honeypot = el("div", { "class": "lf-hp", "aria-hidden": "true" });
    var hpLabel = el("label", {}, def.honeypot.label + " ");
    hpLabel.appendChild(el("input", { type: "text", name: def.honeypot.name, tabindex: "-1", autocomplete: "off" }));
    honeypot.appendChild(hpLabel);
    form.appendChild(honeypot);
    var button = el("button", { type: "submit", "class": "lf-submit" }, def.texts.submit);
    form.appendChild(button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(def, form, summary, button);
    });
    mount.replaceChildren(form);
  }

  function collect(def, form) {
    var data = {};
    new FormData(form).forEach(function (value, name) { data[name] = value; });
    var params = new URLSearchParams(location.search);
    def.hidden.forEach(function (name) { if (params.get(name)) data[name] = params.get(name); });
    data.referrer = document.referrer || location.href;
    data[def.timestamp.name] = def.timestamp.value;
    data.language = def.language;
    return data;
  }

  function showErrors(form, fields) {
    var first = null;
    form.querySelectorAll("[data-field]").forEach(function (wrap) {
      var messages = fields[wrap.getAttribute("data-field")] || [];
      var input = wrap.querySelector("input, textarea");
      wrap.classList.toggle("lf-invalid", messages.length > 0);
      wrap.querySelector(".lf-error").textContent = messages.join(" ");
      if (messages.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      if (messages.length && !first) first = input;
    });
    if (first) first.focus();
  }

  function say(summary, message) {
    summary.textContent = message || "";
    summary.hidden = !message;
  }

  function submit(def, form, summary, button) {
    button.disabled = true;
    button.textContent = def.texts.sending;
    say(summary, "");
    fetchWithRetry(def.submit_url, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(collect(def, form))
    }, function () { say(summary, def.texts.sending); }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) {
          if (body.redirect) { location.href = body.redirect; return; }
          mount.replaceChildren(el("p", { "class": "lf-thanks", role: "status", tabindex: "-1" }, body.message));
          mount.firstChild.focus();
          return;
        }
        var error = body.error || {};
        showErrors(form, error.fields || {});
        say(summary, response.status === 400 ? def.texts.fix_errors
          : response.status === 413 ? def.texts.too_large
          : response.status === 429 ? def.texts.too_many : def.texts.try_again);
      });
    }, function () {
      say(summary, def.texts.try_again);
    }).finally(function () {
      button.disabled = false;
      button.textContent = def.texts.submit;
    });
  }

  var url = base + "/intake/forms/" + encodeURIComponent(key) + "/definition.json?lang=" + encodeURIComponent(lang);
  fetchWithRetry(url, { credentials: "omit" }).then(function (response) {
    if (!response.ok) throw new Error("Leadflow form " + key + ": HTTP " + response.status);
    return response.json();
  }).then(render).catch(function (error) {
    mount.textContent = "";
    if (window.console) console.error(error);
  });
})();
