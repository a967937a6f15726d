// Grid+ resident page. Talks only to the resident HTTP API with the resident's bearer token.
// Every text from the server goes into the DOM with textContent, never parsed as HTML.
"use strict";

const API = {
  petitions: "/api/v1/petitions",
  petition: "/api/v1/petitions/{id}",
  history: "/api/v1/petitions/{id}/history",
  photo: "/api/v1/petitions/{id}/photos/{seq}",
  rating: "/api/v1/petitions/{id}/rating",
  services: "/open311/v2/services.json",
};
const TOKEN_KEY = "gridplus.token";
const MAX_PHOTOS = 9;
const STATUS_NAMES = {
  SUBMITTED: "已提交 Submitted", ASSIGNED: "已派单 Assigned", VERIFIED: "办理中 In progress",
  RESOLVED: "已办结 Resolved", CLOSED: "已关闭 Closed", REJECTED: "不予受理 Rejected",
  DUPLICATE: "重复诉求 Duplicate", REOPENED: "重新办理 Reopened",
};
const LIGHT_NAMES = {
  green: "按时 On time", yellow: "临近期限 Near deadline", red: "已超期 Overdue",
};

const $ = (id) => document.getElementById(id);

function path(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(params[name])));
}

function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function setStatus(el, text, kind) {
  el.textContent = text;
  el.className = "status" + (kind ? " " + kind : "");
}

function formatTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// A fetch with the bearer token; resolves to {ok, status, body} (body: parsed JSON or null).
async function call(url, options) {
  const opts = options || {};
  const headers = new Headers(opts.headers || {});
  if (token()) headers.set("Authorization", "Bearer " + token());
  headers.set("Accept", "application/json, application/problem+json");
  let response;
  try {
    response = await fetch(url, { ...opts, headers, credentials: "omit", cache: "no-store" });
  } catch (err) {
    return { ok: false, status: 0, body: { detail: "网络错误 Network error" } };
  }
  let body = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try { body = await response.json(); } catch (err) { body = null; }
  }
  return { ok: response.ok, status: response.status, body };
}

function problemText(result) {
  if (result.status === 401) return "请先填写有效的登录凭证 Please paste a valid token";
  const b = result.body || {};
  const detail = b.detail || b.title || "请求失败 Request failed";
  return result.status ? `${detail} (${result.status})` : detail;
}

// Field errors (problem+json `errors[].field`) next to their fields; the rest in `statusEl`.
function showProblem(form, statusEl, result) {
  clearErrors(form);
  const errors = (result.body && Array.isArray(result.body.errors)) ? result.body.errors : [];
  let unplaced = [];
  for (const e of errors) {
    const name = String(e.field || "").replace(/\[\d+\]$/, "").replace(/^contact\./, "");
    const field = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (field) {
      field.classList.add("invalid");
      const p = field.querySelector(".error");
      p.textContent = (p.textContent ? p.textContent + " " : "") + `${e.field}: ${e.detail}`;
    } else {
      unplaced.push(`${e.field}: ${e.detail}`);
    }
  }
  const text = unplaced.length ? unplaced.join("; ") : problemText(result);
  setStatus(statusEl, text, "bad");
}

function clearErrors(form) {
  for (const field of form.querySelectorAll(".field")) {
    field.classList.remove("invalid");
    const p = field.querySelector(".error");
    if (p) p.textContent = "";
  }
}

function fieldError(form, name, text) {
  const field = form.querySelector(`.field[data-field="${name}"]`);
  field.classList.add("invalid");
  field.querySelector(".error").textContent = text;
}

// ---- token ----
function initToken() {
  const input = $("token");
  input.value = token();
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!value) {
      setStatus($("token-status"), "凭证为空 The token is empty", "bad");
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    setStatus($("token-status"), "已保存 Saved", "ok");
  });
  $("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    input.value = "";
    setStatus($("token-status"), "已清除 Cleared", "ok");
  });
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

// ---- report ----
let submissionKey = null; // one Idempotency-Key per submission; kept for a retry, new after edits

async function loadCategories() {
  const result = await call(API.services);
  if (!result.ok || !Array.isArray(result.body)) return; // optional: the city classifies it
  const select = $("category");
  for (const s of result.body) {
    const option = document.createElement("option");
    option.value = String(s.service_code);
    option.textContent = s.group ? `${s.group} · ${s.service_name}` : String(s.service_name);
    select.appendChild(option);
  }
}

function locate() {
  const status = $("locate-status");
  if (!navigator.geolocation) {
    setStatus(status, "浏览器不支持定位，请手动填写 Location unavailable; type it in", "bad");
    return;
  }
  setStatus(status, "正在定位… Locating…", "");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      $("lat").value = pos.coords.latitude.toFixed(6);
      $("lon").value = pos.coords.longitude.toFixed(6);
      submissionKey = null;
      setStatus(status, `已定位（精度约 ${Math.round(pos.coords.accuracy)} 米） Located (±${Math.round(pos.coords.accuracy)} m)`, "ok");
    },
    (err) => setStatus(status, `定位失败，请手动填写 Could not locate (${err.message}); type it in`, "bad"),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

function checkReport(form) {
  let ok = true;
  for (const name of ["title", "description"]) {
    if (!$(name).value.trim()) { fieldError(form, name, "必填 Required"); ok = false; }
  }
  const lat = Number($("lat").value), lon = Number($("lon").value);
  if ($("lat").value.trim() === "" || !(lat >= -90 && lat <= 90)) {
    fieldError(form, "lat", "请填写 -90 到 90 的纬度 Latitude from -90 to 90"); ok = false;
  }
  if ($("lon").value.trim() === "" || !(lon >= -180 && lon <= 180)) {
    fieldError(form, "lon", "请填写 -180 到 180 的经度 Longitude from -180 to 180"); ok = false;
  }
  if ($("photos").files.length > MAX_PHOTOS) {
    fieldError(form, "photos", `最多 ${MAX_PHOTOS} 张 At most ${MAX_PHOTOS} photos`); ok = false;
  }
  return ok;
}

async function submitReport(ev) {
  ev.preventDefault();
  const form = $("report-form");
  const button = $("report-submit");
  const status = $("report-status");
  if (button.disabled) return; // a submission is in flight
  clearErrors(form);
  if (!token()) { setStatus(status, problemText({ status: 401 }), "bad"); return; }
  if (!checkReport(form)) { setStatus(status, "请检查标注的字段 Please check the marked fields", "bad"); return; }
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
  setStatus(status, "正在提交… Submitting…", "");
  try {
    const result = await call(API.petitions, {
      method: "POST", body: data, headers: { "Idempotency-Key": submissionKey },
    });
    if (result.ok) {
      submissionKey = null;
      form.reset();
      setStatus(status, `已提交，编号 ${result.body.id} Submitted (number ${result.body.id})`, "ok");
    } else {
      if (result.status >= 400 && result.status < 500) submissionKey = null; // a new attempt after fixes
      showProblem(form, status, result);
    }
  } finally {
    button.disabled = false;
  }
}

// ---- my petitions ----
let nextCursor = null;

function categoryName(p) {
  const c = p.category_choice;
  if (c && (c.name_zh || c.name_en)) return [c.name_zh, c.name_en].filter(Boolean).join(" / ");
  if (c && c.code) return c.code;
  return p.category || "待分类 Unclassified";
}

// The list answer may lack `light`; then only a passed deadline is known (red), else grey.
function lightOf(p) {
  if (p.light) return p.light;
  if (p.deadline && new Date(p.deadline) < new Date() && !["RESOLVED", "CLOSED", "REJECTED", "DUPLICATE"].includes(p.status)) return "red";
  return null;
}

function dot(light) {
  const span = document.createElement("span");
  span.className = "dot" + (light ? " " + light : "");
  const label = light ? LIGHT_NAMES[light] || light : "无期限信息 No light";
  span.title = label;
  span.setAttribute("role", "img");
  span.setAttribute("aria-label", label);
  return span;
}

async function loadPetitions(more) {
  const status = $("mine-status");
  const list = $("petitions");
  if (!token()) { setStatus(status, problemText({ status: 401 }), "bad"); return; }
  if (!more) { list.replaceChildren(); nextCursor = null; $("detail").hidden = true; }
  setStatus(status, "加载中… Loading…", "");
  const query = new URLSearchParams({ limit: "20" });
  if (more && nextCursor) query.set("cursor", nextCursor);
  const result = await call(API.petitions + "?" + query.toString());
  if (!result.ok) { setStatus(status, problemText(result), "bad"); return; }
  setStatus(status, "", "");
  const items = result.body.petitions || [];
  if (!more && items.length === 0) setStatus(status, "还没有诉求 No petitions yet", "");
  for (const p of items) list.appendChild(petitionItem(p));
  nextCursor = result.body.next_cursor || null;
  $("more").hidden = !nextCursor;
}

function petitionItem(p) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  const text = document.createElement("span");
  const title = document.createElement("strong");
  title.textContent = p.title;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${categoryName(p)} · 期限 Deadline ${formatTime(p.deadline)} · ${formatTime(p.created_at)}`;
  text.append(title, meta);
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = STATUS_NAMES[p.status] || p.status;
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
}

async function openPetition(id) {
  const status = $("mine-status");
  const [one, history] = await Promise.all([
    call(path(API.petition, { id })), call(path(API.history, { id })),
  ]);
  if (!one.ok) { setStatus(status, problemText(one), "bad"); return; }
  setStatus(status, "", "");
  const p = one.body;
  openId = p.id;
  ratingKey = null;
  $("detail").hidden = false;
  $("detail-title").textContent = p.title;
  const facts = $("detail-facts");
  facts.replaceChildren();
  fact(facts, "编号 Number", p.id);
  fact(facts, "状态 Status", STATUS_NAMES[p.status] || p.status);
  const light = document.createElement("span");
  const l = lightOf(p);
  light.append(dot(l), document.createTextNode(" " + (l ? LIGHT_NAMES[l] || l : "—")));
  fact(facts, "亮灯 Light", light);
  fact(facts, "类别 Category", categoryName(p));
  fact(facts, "期限 Deadline", formatTime(p.deadline) + (p.paused ? " (暂停 paused)" : ""));
  fact(facts, "网格 Grid", p.grid ? p.grid.code : "");
  fact(facts, "位置 Location", `${p.location.lat}, ${p.location.lon}`);
  fact(facts, "提交时间 Reported", formatTime(p.created_at));
  fact(facts, "公开 Published", p.public
    ? "描述已公开（电话、邮箱、身份证号已隐去） Description public (phones, emails, ID numbers removed)"
    : "不公开，仅公开类别、状态和大致位置 Private: only category, status and rough location are public");
  if (p.reject_reason) fact(facts, "不予受理原因 Reason", p.reject_reason);
  if (p.duplicate_of) fact(facts, "合并至 Merged into", p.duplicate_of);
  if (p.resolution_note) fact(facts, "办理结果 Resolution", p.resolution_note);
  $("detail-description").textContent = p.description;
  showPhotos(p);
  const ol = $("detail-history");
  ol.replaceChildren();
  for (const e of (history.ok ? history.body.entries : [])) {
    const li = document.createElement("li");
    const what = e.kind === "NOTE" ? "备注 Note" : (STATUS_NAMES[e.to_status] || e.to_status);
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = formatTime(e.at) + " · ";
    li.append(when, document.createTextNode(what + (e.note ? " — " + e.note : "")));
    ol.appendChild(li);
  }
  const form = $("rating-form");
  form.reset();
  clearErrors(form);
  setStatus($("rating-status"), "", "");
  form.hidden = p.status !== "RESOLVED";
  $("detail").scrollIntoView({ behavior: "smooth", block: "start" });
}

// Photos need the bearer token, so they are fetched and shown from blob: URLs.
async function showPhotos(p) {
  const box = $("detail-photos");
  box.replaceChildren();
  for (const photo of p.photos || []) {
    const headers = { Authorization: "Bearer " + token() };
    try {
      const response = await fetch(path(API.photo, { id: p.id, seq: photo.seq }), { headers, credentials: "omit" });
      if (!response.ok || openId !== p.id) continue;
      const img = document.createElement("img");
      img.alt = `照片 Photo ${photo.seq}`;
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
  if (!(rating >= 1 && rating <= 5)) { fieldError(form, "rating", "请选择 1–5 Choose 1 to 5"); return; }
  if (!ratingKey) ratingKey = newKey();
  button.disabled = true;
  setStatus(status, "正在提交… Submitting…", "");
  try {
    const result = await call(path(API.rating, { id: openId }), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": ratingKey },
      body: JSON.stringify({ rating, comment: $("comment").value.trim() }),
    });
    if (result.ok) {
      const outcome = result.body.outcome === "SATISFIED" ? "感谢评价，诉求将办结 Thank you; the petition will close"
        : "感谢评价，诉求将重新办理 Thank you; the petition will be handled again";
      setStatus(status, outcome, "ok");
      form.hidden = true;
    } else {
      if (result.status >= 400 && result.status < 500) ratingKey = null;
      showProblem(form, status, result);
    }
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  initToken();
  $("tab-report").addEventListener("click", () => showTab("report"));
  $("tab-mine").addEventListener("click", () => showTab("mine"));
  $("locate").addEventListener("click", locate);
  $("report-form").addEventListener("submit", submitReport);
  $("report-form").addEventListener("input", () => { submissionKey = null; });
  $("refresh").addEventListener("click", () => loadPetitions(false));
  $("more").addEventListener("click", () => loadPetitions(true));
  $("rating-form").addEventListener("submit", submitRating);
  loadCategories();
});
