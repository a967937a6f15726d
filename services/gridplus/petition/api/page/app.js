// Grid+ resident page: report a problem, follow your petitions, rate the resolution. Talks only to
// this server with the resident's bearer token (signin.js). Every text from the server goes into
// the DOM with textContent, never parsed as HTML.
"use strict";

const API = {
  petitions: "/api/v1/petitions",
  petition: "/api/v1/petitions/{id}",
  history: "/api/v1/petitions/{id}/history",
  photo: "/api/v1/petitions/{id}/photos/{seq}",
  rating: "/api/v1/petitions/{id}/rating",
  followUp: "/api/v1/petitions/{id}/follow-up",
  categories: "/api/v1/categories",
};
const OPEN = ["SUBMITTED", "ASSIGNED", "VERIFIED", "REOPENED"];
const FIELD_ORDER = ["location", "lat", "lon", "category", "title", "description", "photos", "make_public"];

const $ = (id) => document.getElementById(id);

function path(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(params[name])));
}

function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return randomText(16);
}

function setStatus(el, text, kind) {
  el.textContent = text;
  el.className = "status" + (kind ? " " + kind : "");
}

// A fetch with the bearer token; resolves to {ok, status, body, retryAfter}.
async function call(url, options) {
  const opts = options || {};
  const headers = new Headers(opts.headers || {});
  if (token()) headers.set("Authorization", "Bearer " + token());
  headers.set("Accept", "application/json, application/problem+json");
  let response;
  try {
    response = await fetch(url, { ...opts, headers, credentials: "omit", cache: "no-store" });
  } catch (err) {
    return { ok: false, status: 0, body: null, retryAfter: null };
  }
  let body = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) {
    try { body = await response.json(); } catch (err) { body = null; }
  }
  if (response.status === 401) tokenRefused();
  return { ok: response.ok, status: response.status, body, retryAfter: response.headers.get("Retry-After") };
}

// A refusal in the page's language (the server's own words are English and technical).
function problemText(result) {
  if (result.status === 0) return t("err.network");
  if (result.status === 401) return t("signin.expired");
  if (result.status === 403) return t("err.forbidden");
  if (result.status === 404) return t("err.not_found");
  if (result.status === 429) return t("err.busy", { seconds: result.retryAfter || 60 });
  if (result.status >= 500) return t("err.unavailable");
  return t("err.generic", { status: result.status });
}

// ---- field errors ----
function fieldOf(form, name) {
  return form.querySelector(`.field[data-field="${name}"]`);
}

function fieldError(form, name, text) {
  const field = fieldOf(form, name);
  if (!field) return false;
  field.classList.add("invalid");
  const p = field.querySelector(":scope > .error");
  p.textContent = p.textContent ? p.textContent + " " + text : text;
  return true;
}

function clearErrors(form) {
  for (const field of form.querySelectorAll(".field")) {
    field.classList.remove("invalid");
    const p = field.querySelector(":scope > .error");
    if (p) p.textContent = "";
  }
  if (form.id === "report-form") { $("report-summary").hidden = true; $("report-summary-list").replaceChildren(); }
}

// The error summary at the top of the form, each entry a link to its field (GOV.UK's pattern).
function showSummary(problems) {
  const list = $("report-summary-list");
  list.replaceChildren();
  for (const [name, text] of problems) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    const target = name === "location" ? ($("map").hidden ? "lat" : "map") : name === "category" ? "category-search" : name;
    a.href = "#" + target;
    a.textContent = text;
    li.appendChild(a);
    list.appendChild(li);
  }
  $("report-summary").hidden = problems.length === 0;
  if (problems.length) $("report-summary").focus();
}

// What the server said about a field, in the page's language.
function serverFieldText(field) {
  const name = field.replace(/\[\d+\]$/, "");
  const index = /\[(\d+)\]$/.exec(field);
  if (name === "photos") {
    return t("err.photo_server", { n: index ? Number(index[1]) + 1 : 1, limit: formatBytes(pageConfig.photos.max_bytes) });
  }
  const known = { title: "err.title", description: "err.description", lat: "err.lat", lon: "err.lon", category: "err.category" };
  return t(known[name] || "err.field");
}

// ---- categories ----
let classes = [];

async function loadCategories() {
  const result = await call(API.categories);
  if (!result.ok || !result.body || !Array.isArray(result.body.classes)) return; // optional
  classes = result.body.classes;
  fillCategories();
}

function categoryLabel(c) {
  return lang === "zh" ? `${c.name_zh} · ${c.name_en}` : `${c.name_en} · ${c.name_zh}`;
}

// The <select> grouped by class, holding only what matches the search words.
function fillCategories() {
  const select = $("category");
  const chosen = select.value;
  const words = $("category-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const first = select.options[0];
  select.replaceChildren(first);
  let found = 0;
  for (const group of classes) {
    const groupText = `${group.name_zh} ${group.name_en}`.toLowerCase();
    const members = group.categories.filter((c) => {
      const text = `${groupText} ${c.name_zh} ${c.name_en} ${c.code}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    if (!members.length) continue;
    const optgroup = document.createElement("optgroup");
    optgroup.label = lang === "zh" ? group.name_zh || group.name_en : group.name_en || group.name_zh;
    for (const c of members) {
      const option = document.createElement("option");
      option.value = c.code;
      option.textContent = categoryLabel(c);
      optgroup.appendChild(option);
    }
    select.appendChild(optgroup);
    found += members.length;
  }
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  if (words.length && found && !select.value) select.selectedIndex = 1; // the best match, ready to confirm
  $("category-count").textContent = words.length ? (found ? t("report.category_count", { n: found }) : t("report.category_none")) : "";
}

// ---- report ----
let submissionKey = null; // one Idempotency-Key per submission; kept for a retry, new after edits

function photosHint() {
  const limits = pageConfig.photos;
  $("photos-hint").textContent = t("report.photos_hint", { count: limits.max_count, size: formatBytes(limits.max_bytes) });
}

// Checked here before anything is sent: the same limits the server holds to.
function photoProblems() {
  const limits = pageConfig.photos;
  const files = [...$("photos").files];
  const problems = [];
  if (files.length > limits.max_count) problems.push(t("err.photo_count", { count: limits.max_count }));
  for (const file of files) {
    if (!limits.types.includes(file.type)) problems.push(t("err.photo_type", { name: file.name }));
    else if (file.size > limits.max_bytes) {
      problems.push(t("err.photo_size", { name: file.name, size: formatBytes(file.size), limit: formatBytes(limits.max_bytes) }));
    }
  }
  return problems;
}

function checkPhotos() {
  const form = $("report-form");
  const field = fieldOf(form, "photos");
  field.classList.remove("invalid");
  field.querySelector(":scope > .error").textContent = "";
  const problems = photoProblems();
  for (const text of problems) fieldError(form, "photos", text);
  return problems;
}

function checkReport(form) {
  const problems = [];
  const where = placeProblem();
  if (where) problems.push(["location", t(where)]);
  if (!$("title").value.trim()) problems.push(["title", t("err.title")]);
  if (!$("description").value.trim()) problems.push(["description", t("err.description")]);
  for (const text of photoProblems()) problems.push(["photos", text]);
  for (const [name, text] of problems) fieldError(form, name, text);
  return problems;
}

async function submitReport(ev) {
  ev.preventDefault();
  const form = $("report-form");
  const button = $("report-submit");
  const status = $("report-status");
  if (button.disabled) return; // a submission is in flight
  clearErrors(form);
  setStatus(status, "", "");
  if (!token()) { setStatus(status, t("report.need_signin"), "bad"); return; }
  if (placeChecking) await placeChecking; // a point picked a moment ago: wait for its check
  const problems = checkReport(form);
  if (problems.length) { showSummary(problems); setStatus(status, t("report.check"), "bad"); return; }
  const data = new FormData();
  data.append("title", $("title").value.trim());
  data.append("description", $("description").value.trim());
  if ($("category").value) data.append("category", $("category").value);
  data.append("lat", $("lat").value.trim());
  data.append("lon", $("lon").value.trim());
  for (const file of $("photos").files) data.append("photos", file, file.name);
  data.append("make_public", $("make_public").checked ? "true" : "false"); // private unless ticked
  if (!submissionKey) submissionKey = newKey();
  button.disabled = true;
  setStatus(status, t("report.submitting"), "");
  try {
    const result = await call(API.petitions, { method: "POST", body: data, headers: { "Idempotency-Key": submissionKey } });
    if (result.ok) {
      submissionKey = null;
      form.reset();
      fillCategories();
      setStatus(status, t("report.submitted", { id: result.body.id }), "ok");
      return;
    }
    if (result.status >= 400 && result.status < 500) submissionKey = null; // a new attempt after fixes
    const errors = (result.body && Array.isArray(result.body.errors)) ? result.body.errors : [];
    const placed = [];
    for (const e of errors) {
      const name = String(e.field || "").replace(/\[\d+\]$/, "");
      const text = serverFieldText(String(e.field || ""));
      if (fieldError(form, name, text)) placed.push([name, text]);
    }
    placed.sort((a, b) => FIELD_ORDER.indexOf(a[0]) - FIELD_ORDER.indexOf(b[0]));
    if (placed.length) { showSummary(placed); setStatus(status, t("report.check"), "bad"); }
    else setStatus(status, problemText(result), "bad");
  } finally {
    button.disabled = false;
  }
}

// ---- my petitions ----
let nextCursor = null;

function categoryName(p) {
  let c = p.category_choice;
  if (c && !(c.name_zh || c.name_en)) c = knownCategory(c.code) || c; // given by code only
  if (c && (c.name_zh || c.name_en)) return lang === "zh" ? c.name_zh || c.name_en : c.name_en || c.name_zh;
  if (p.triage && p.triage.waiting) return t("detail.triage");
  return (c && c.code) || p.category || t("detail.unclassified");
}

function knownCategory(code) {
  for (const group of classes) {
    const found = group.categories.find((c) => c.code === code);
    if (found) return found;
  }
  return null;
}

// The API names lights in capitals (GREEN, YELLOW, RED); only open petitions have one.
function lightOf(p) {
  if (!OPEN.includes(p.status)) return null;
  return p.light ? String(p.light).toUpperCase() : null;
}

function dot(light) {
  const span = document.createElement("span");
  span.className = "dot" + (light ? " " + light.toLowerCase() : "");
  span.dataset.light = light || "";
  const label = light ? t("light." + light) : t("light.none");
  span.title = label;
  span.setAttribute("role", "img");
  span.setAttribute("aria-label", label);
  return span;
}

async function loadPetitions(more) {
  const status = $("mine-status");
  const list = $("petitions");
  if (!token()) { list.replaceChildren(); $("detail").hidden = true; setStatus(status, t("mine.need_signin"), "bad"); return; }
  if (!more) { list.replaceChildren(); nextCursor = null; $("detail").hidden = true; }
  setStatus(status, t("mine.loading"), "");
  const query = new URLSearchParams({ limit: "20" });
  if (more && nextCursor) query.set("cursor", nextCursor);
  const result = await call(API.petitions + "?" + query.toString());
  if (!result.ok) { setStatus(status, problemText(result), "bad"); return; }
  setStatus(status, "", "");
  const items = result.body.petitions || [];
  if (!more && items.length === 0) setStatus(status, t("mine.empty"), "");
  for (const p of items) list.appendChild(petitionItem(p));
  nextCursor = result.body.next_cursor || null;
  $("more").hidden = !nextCursor;
}

function petitionItem(p) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.petition = p.id;
  const text = document.createElement("span");
  text.className = "text";
  const title = document.createElement("strong");
  title.textContent = p.title;
  const meta = document.createElement("span");
  meta.className = "meta";
  const when = OPEN.includes(p.status) && p.deadline ? t("mine.deadline", { when: formatTime(p.deadline) }) : t("mine.reported", { when: formatTime(p.created_at) });
  meta.textContent = `${categoryName(p)} · ${when}`;
  text.append(title, meta);
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = t("status." + p.status);
  button.append(dot(lightOf(p)), text, badge);
  button.addEventListener("click", () => openPetition(p.id));
  li.appendChild(button);
  return li;
}

let openId = null;
let ratingKey = null;

function fact(dl, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  if (value instanceof Node) dd.appendChild(value); else dd.textContent = value == null || value === "" ? "—" : String(value);
  dl.append(dt, dd);
  return dd;
}

function historyLine(e) {
  const li = document.createElement("li");
  const when = document.createElement("span");
  when.className = "when";
  when.textContent = formatTime(e.at);
  const what = document.createElement("span");
  const words = t(e.kind === "NOTE" ? "history.NOTE" : "history." + e.to_status);
  what.textContent = e.note ? words + (lang === "zh" ? "：" : ": ") + e.note : words;
  li.append(when, what);
  return li;
}

async function openPetition(id, quiet) {
  const status = $("mine-status");
  const [one, history, followUp] = await Promise.all([
    call(path(API.petition, { id })), call(path(API.history, { id })), call(path(API.followUp, { id })),
  ]);
  if (!one.ok) { setStatus(status, problemText(one), "bad"); return null; }
  setStatus(status, "", "");
  const p = one.body;
  if (openId !== p.id) { ratingKey = null; $("rating-done").textContent = ""; }
  openId = p.id;
  $("detail").hidden = false;
  $("detail").dataset.status = p.status;
  $("detail-title").textContent = p.title;
  const facts = $("detail-facts");
  facts.replaceChildren();
  fact(facts, t("detail.number"), p.id);
  fact(facts, t("detail.status"), t("status." + p.status)).id = "detail-status";
  const l = lightOf(p);
  if (l) {
    const light = document.createElement("span");
    light.append(dot(l), document.createTextNode(" " + t("light." + l)));
    fact(facts, t("detail.light"), light);
  }
  fact(facts, t("detail.category"), categoryName(p));
  if (OPEN.includes(p.status)) fact(facts, t("detail.deadline"), formatTime(p.deadline) + (p.paused ? t("detail.paused") : ""));
  fact(facts, t("detail.place"), p.grid ? p.grid.code : "");
  fact(facts, t("detail.reported"), formatTime(p.created_at));
  fact(facts, t("detail.published"), p.public ? t("detail.public") : t("detail.private"));
  if (p.reject_reason) fact(facts, t("detail.reason"), p.reject_reason);
  if (p.duplicate_of) fact(facts, t("detail.merged"), p.duplicate_of);
  if (p.resolution_note) fact(facts, t("detail.resolution"), p.resolution_note);
  const rated = followUp.ok ? (followUp.body.answers || []).find((a) => a.rating) : null;
  if (rated) {
    const stars = document.createElement("span");
    stars.className = "stars";
    stars.textContent = "★".repeat(rated.rating) + "☆".repeat(5 - rated.rating);
    stars.setAttribute("aria-hidden", "true");
    const words = document.createElement("span");
    words.textContent = " " + t("detail.stars", { n: rated.rating }) + (rated.comment ? ` — ${rated.comment}` : "");
    const box = document.createElement("span");
    box.id = "your-rating";
    box.dataset.rating = String(rated.rating);
    box.append(stars, words);
    fact(facts, t("detail.your_rating"), box);
  }
  $("detail-description").textContent = p.description;
  if (!quiet) showPhotos(p);
  const ol = $("detail-history");
  ol.replaceChildren();
  for (const e of (history.ok ? history.body.entries : [])) ol.appendChild(historyLine(e));
  const form = $("rating-form");
  const pending = p.status === "RESOLVED" && !rated && !$("rating-done").textContent;
  if (!quiet || !pending) { form.reset(); clearErrors(form); setStatus($("rating-status"), "", ""); }
  form.hidden = !pending;
  if (!quiet) $("detail").scrollIntoView({ behavior: "smooth", block: "start" });
  return p;
}

// Photos need the bearer token, so they are fetched and shown from blob: URLs.
async function showPhotos(p) {
  const box = $("detail-photos");
  box.replaceChildren();
  for (const photo of p.photos || []) {
    try {
      const response = await fetch(path(API.photo, { id: p.id, seq: photo.seq }), { headers: { Authorization: "Bearer " + token() }, credentials: "omit" });
      if (!response.ok || openId !== p.id) continue;
      const img = document.createElement("img");
      img.alt = t("detail.photo", { n: photo.seq });
      img.src = URL.createObjectURL(await response.blob());
      img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
      box.appendChild(img);
    } catch (err) { /* a photo that cannot load is left out */ }
  }
}

async function submitRating(ev) {
  ev.preventDefault();
  const form = $("rating-form");
  const button = $("rating-submit");
  const status = $("rating-status");
  if (button.disabled || !openId) return;
  clearErrors(form);
  const rating = Number($("rating").value);
  if (!(rating >= 1 && rating <= 5)) { fieldError(form, "rating", t("rating.choose")); return; }
  if (!ratingKey) ratingKey = newKey();
  button.disabled = true;
  setStatus(status, t("rating.sending"), "");
  try {
    const id = openId;
    const result = await call(path(API.rating, { id }), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": ratingKey },
      body: JSON.stringify({ rating, comment: $("comment").value.trim() }),
    });
    if (!result.ok) {
      if (result.status >= 400 && result.status < 500) ratingKey = null;
      const errors = (result.body && Array.isArray(result.body.errors)) ? result.body.errors : [];
      const placed = errors.filter((e) => fieldError(form, String(e.field), t(e.field === "rating" ? "rating.choose" : "err.field")));
      setStatus(status, placed.length ? "" : problemText(result), "bad");
      return;
    }
    // The thank-you sits outside the form, which is hidden now; the status follows evaluation.
    $("rating-done").textContent = t(result.body.outcome === "SATISFIED" ? "rating.thanks_closed" : "rating.thanks_reopen");
    form.hidden = true;
    followClosing(id);
  } finally {
    button.disabled = false;
  }
}

// After a rating the petition closes (or reopens) within moments: show it without a reload.
async function followClosing(id) {
  for (let i = 0; i < 30 && openId === id; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (openId !== id) return;
    const p = await openPetition(id, true);
    if (!p || p.status !== "RESOLVED") {
      loadListQuietly();
      return;
    }
  }
}

async function loadListQuietly() {
  const result = await call(API.petitions + "?limit=20");
  if (!result.ok) return;
  const list = $("petitions");
  list.replaceChildren(...(result.body.petitions || []).map(petitionItem));
  nextCursor = result.body.next_cursor || null;
  $("more").hidden = !nextCursor;
}

// ---- tabs ----
function showTab(which) {
  const report = which === "report";
  $("report-card").hidden = !report;
  $("mine-card").hidden = report;
  $("tab-report").setAttribute("aria-selected", String(report));
  $("tab-mine").setAttribute("aria-selected", String(!report));
  if (!report) loadPetitions(false);
}

function relabel() {
  photosHint();
  fillCategories();
  if (!$("mine-card").hidden && token()) {
    loadListQuietly();
    if (openId && !$("detail").hidden) openPetition(openId, true);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  applyLanguage();
  $("lang-switch").addEventListener("click", () => setLanguage(lang === "zh" ? "en" : "zh"));
  document.addEventListener("gridplus:language", relabel);
  document.addEventListener("gridplus:signin", () => { if (!$("mine-card").hidden) loadPetitions(false); });
  $("tab-report").addEventListener("click", () => showTab("report"));
  $("tab-mine").addEventListener("click", () => showTab("mine"));
  $("report-form").addEventListener("submit", submitReport);
  $("report-form").addEventListener("input", () => { submissionKey = null; });
  document.addEventListener("gridplus:place", () => { submissionKey = null; });
  $("photos").addEventListener("change", checkPhotos);
  $("category-search").addEventListener("input", fillCategories);
  $("refresh").addEventListener("click", () => loadPetitions(false));
  $("more").addEventListener("click", () => loadPetitions(true));
  $("rating-form").addEventListener("submit", submitRating);
  await initSignIn();
  photosHint();
  loadCategories();
  initMap();
});
