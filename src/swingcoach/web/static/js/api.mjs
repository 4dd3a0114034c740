// The /v1 API. The tokens live in http-only cookies the login sets (page scripts never see them):
// the short-lived access token goes with every /v1 request, EventSource and <video> included; the
// refresh token only to /v1/auth. This browser keeps just when its login ends.

const SESSION_KEY = "swingcoach.session";
// Every request carries it: the server refuses cookie-authenticated writes without it (CSRF).
const CSRF = { "X-Requested-With": "swingcoach" };

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body; // the server's JSON answer, when it gave one
  }
}

function session() {
  const saved = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
  if (saved === null || Date.parse(saved.expiresAt) <= Date.now()) return null;
  return saved;
}

export function signedIn() {
  return session() !== null;
}

function saveSession(tokens) {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ expiresAt: tokens.refresh_expires_at, accessExpiresAt: tokens.expires_at }));
}

export function forgetSession() {
  localStorage.removeItem(SESSION_KEY);
  localStorage.removeItem("swingcoach.token"); // what older versions kept
}

// Pages that need an account send the visitor to the login page, and back here afterwards.
export function requireLogin() {
  if (signedIn()) return true;
  location.replace(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  return false;
}

// One refresh at a time: a refresh token is spent when used, and showing it twice ends the login.
let refreshing = null;
export function refresh() {
  refreshing ??= fetch("/v1/auth/refresh", { method: "POST", headers: CSRF })
    .then(async (response) => {
      if (!response.ok) return false;
      saveSession(await response.json());
      return true;
    })
    .catch(() => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

// Before the browser fetches by itself (EventSource, <video>): an access cookie good for a while.
export async function freshAccess() {
  const current = session();
  if (current === null) return false;
  if (Date.parse(current.accessExpiresAt) - Date.now() > 30_000) return true;
  return refresh();
}

async function apiError(response) {
  try {
    const body = await response.json();
    return new ApiError(response.status, typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body), body);
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
}

// fetch() against the API: JSON in and out, ApiError with the server's message on a non-2xx.
// A 401 means the token is gone or expired: the visitor is sent to log in again.
// `raw`: a Blob sent as it is, with `headers` (a chunk of a clip).
export async function api(path, { method = "GET", json, form, raw, headers: extra = {}, signal, redirectOn401 = true } = {}) {
  const headers = { ...CSRF, ...extra };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = typeof json === "string" ? json : JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  } else if (raw !== undefined) {
    headers["Content-Type"] = "application/octet-stream";
    body = raw;
  }
  let response = await fetch(`/v1${path}`, { method, headers, body, signal });
  if (response.status === 401 && redirectOn401 && signedIn()) {
    // The access token expired (15 min): refresh once and repeat, else log in again.
    if (await refresh()) response = await fetch(`/v1${path}`, { method, headers, body, signal });
    if (response.status === 401) {
      forgetSession();
      requireLogin();
    }
  }
  if (!response.ok) throw await apiError(response);
  if (response.status === 204) return null;
  return (response.headers.get("content-type") || "").includes("json") ? response.json() : response;
}

export async function login(email, password) {
  const result = await api("/auth/login", { method: "POST", json: { email, password }, redirectOn401: false });
  saveSession(result);
}

// Ends the login on the server too: its tokens stop working at once, in every tab.
export async function logout() {
  await fetch("/v1/auth/logout", { method: "POST", headers: CSRF }).catch(() => {});
  forgetSession();
}

export function config() {
  return JSON.parse(document.getElementById("config").textContent);
}
