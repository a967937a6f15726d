/* Shared helpers for every console page: fetch with the session's CSRF token, toast messages.
   No inline scripts anywhere (the CSP forbids them); server text goes in through textContent. */
"use strict";
(function () {
  const csrf = document.body.dataset.csrf || "";

  function toast(message, kind) {
    const box = document.getElementById("toasts");
    if (!box) { return; }
    const item = document.createElement("div");
    item.className = "toast" + (kind === "error" ? " error" : "");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 6000);
  }

  /* fetch() for this console: same-origin cookies, the CSRF header on every call, JSON back.
     Resolves with the parsed body; rejects with {status, message, fields} from the server. */
  async function call(url, options) {
    const opts = Object.assign({ method: "GET", credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ "X-CSRF-Token": csrf, "Accept": "application/json" }, opts.headers || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const response = await fetch(url, opts);
    let body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (!response.ok) {
      throw { status: response.status, message: body.message || response.statusText, fields: body.fields || {} };
    }
    return body;
  }

  /* <time datetime="…" data-local>: shown in the reader's zone and language. */
  function localTimes(root) {
    const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      dateStyle: "medium", timeStyle: "short"
    });
    (root || document).querySelectorAll("time[data-local]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime())) { el.textContent = format.format(when); }
    });
  }
  localTimes(document);

  window.Console = { localTimes: localTimes, csrf: csrf, call: call, toast: toast, lang: document.body.dataset.lang || "en" };
})();
