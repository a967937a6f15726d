// Grid+ resident page: signing in. The city's login is OpenID Connect, authorization code with
// PKCE (S256): this script makes the verifier, sends the resident to the provider, and on the way
// back exchanges the code through this server (/api/v1/sign-in/token). The access token stays in
// this tab (sessionStorage). The token paste is a development switch only.
"use strict";

const TOKEN_KEY = "gridplus.token";
const PKCE_KEY = "gridplus.pkce";
const CHECK_URL = "/api/v1/petitions?limit=1";

let pageConfig = { sign_in: null, dev_token_paste: false, map: false,
  photos: { max_count: 9, max_bytes: 10 * 1024 * 1024, types: ["image/jpeg", "image/png", "image/webp"] } };

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size) {
  return base64url(window.crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeOf(verifier) {
  const digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function redirectUri() {
  return window.location.origin + "/";
}

function signinStatus(key, kind) {
  const el = document.getElementById("signin-status");
  el.textContent = key ? t(key) : "";
  el.className = "status" + (kind ? " " + kind : "");
}

function showSignedIn() {
  const signedIn = Boolean(token());
  const state = document.getElementById("signin-state");
  state.dataset.i18n = signedIn ? "signin.in_state" : "signin.out_state";
  state.textContent = t(state.dataset.i18n);
  const oidc = pageConfig.sign_in;
  document.getElementById("signin").hidden = signedIn || !oidc;
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("token-form").hidden = signedIn || !pageConfig.dev_token_paste;
  document.dispatchEvent(new CustomEvent("gridplus:signin"));
}

async function startSignIn() {
  const oidc = pageConfig.sign_in;
  if (!oidc || !oidc.authorization_endpoint) { signinStatus("signin.unavailable", "bad"); return; }
  const verifier = randomText(48); // 64 characters, within PKCE's 43..128
  const state = randomText(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri(),
    scope: oidc.scope || "openid",
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
    ui_locales: lang === "zh" ? "zh-CN" : "en",
  });
  signinStatus("signin.going", "");
  window.location.assign(oidc.authorization_endpoint + "?" + query.toString());
}

// Back from the provider with ?code=&state= (or ?error=): finish, then clean the address bar.
async function finishSignIn() {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return;
  window.history.replaceState(null, "", window.location.pathname);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  if (params.has("error") || !saved || saved.state !== params.get("state")) {
    signinStatus("signin.failed", "bad");
    return;
  }
  signinStatus("signin.finishing", "");
  let ok = false;
  try {
    const response = await fetch("/api/v1/sign-in/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code: params.get("code"), code_verifier: saved.verifier, redirect_uri: redirectUri() }),
      credentials: "omit",
      cache: "no-store",
    });
    if (response.ok) {
      const body = await response.json();
      if (body.access_token) { sessionStorage.setItem(TOKEN_KEY, body.access_token); ok = true; }
    }
  } catch (err) { ok = false; }
  signinStatus(ok ? "signin.done" : "signin.failed", ok ? "ok" : "bad");
}

// A pasted token is saved only once the API accepts it.
async function saveDevToken(ev) {
  ev.preventDefault();
  const input = document.getElementById("token");
  const value = input.value.trim().replace(/^Bearer\s+/i, "");
  if (!value) { signinStatus("dev.empty", "bad"); return; }
  signinStatus("dev.checking", "");
  let ok = false;
  try {
    const response = await fetch(CHECK_URL, { headers: { Authorization: "Bearer " + value }, credentials: "omit", cache: "no-store" });
    ok = response.ok;
  } catch (err) { ok = false; }
  if (!ok) { signinStatus("dev.invalid", "bad"); return; }
  sessionStorage.setItem(TOKEN_KEY, value);
  input.value = "";
  signinStatus("dev.saved", "ok");
  showSignedIn();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  signinStatus("signin.signed_out", "ok");
  showSignedIn();
}

// Called by the API helper when the server answers 401: the token is no longer good.
function tokenRefused() {
  if (!token()) return;
  sessionStorage.removeItem(TOKEN_KEY);
  signinStatus("signin.expired", "bad");
  showSignedIn();
}

async function initSignIn() {
  try {
    const response = await fetch("/api/v1/page-config", { credentials: "omit", cache: "no-store" });
    if (response.ok) pageConfig = await response.json();
  } catch (err) { /* the defaults above: no city sign-in known */ }
  document.getElementById("signin").addEventListener("click", startSignIn);
  document.getElementById("signout").addEventListener("click", signOut);
  document.getElementById("token-form").addEventListener("submit", saveDevToken);
  await finishSignIn();
  if (!pageConfig.sign_in && !pageConfig.dev_token_paste && !token()) signinStatus("signin.none", "bad");
  showSignedIn();
}
