// The /v1 API with the bearer token kept in this browser (localStorage).

const TOKEN_KEY = "swingcoach.token";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  const saved = JSON.parse(localStorage.getItem(TOKEN_KEY) || "null");
  if (saved === null || Date.parse(saved.expiresAt) <= Date.now()) return null;
  return saved.token;
}

export function saveToken(accessToken, expiresAt) {
  localStorage.setItem(TOKEN_KEY, JSON.stringify({ token: accessToken, expiresAt }));
}

export function forgetToken() {
  localStorage.removeItem(TOKEN_KEY);
}

// Pages that need an account send the visitor to the login page, and back here afterwards.
export function requireLogin() {
  if (token() !== null) return true;
  location.replace(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  return false;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    return JSON.stringify(body.detail ?? body);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

// fetch() against the API: JSON in and out, ApiError with the server's message on a non-2xx.
// A 401 means the token is gone or expired: the visitor is sent to log in again.
export async function api(path, { method = "GET", json, form, signal, redirectOn401 = true } = {}) {
  const headers = {};
  const current = token();
  if (current !== null) headers.Authorization = `Bearer ${current}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = typeof json === "string" ? json : JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(`/v1${path}`, { method, headers, body, signal });
  if (response.status === 401 && redirectOn401 && current !== null) {
    forgetToken();
    requireLogin();
  }
  if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
  if (response.status === 204) return null;
  return (response.headers.get("content-type") || "").includes("json") ? response.json() : response;
}

// A URL that carries the token, for what the browser fetches by itself (EventSource, <video>).
export function authUrl(path) {
  return `/v1${path}${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token() ?? "")}`;
}

export async function login(email, password) {
  const result = await api("/auth/login", { method: "POST", json: { email, password }, redirectOn401: false });
  saveToken(result.access_token, result.expires_at);
  return result;
}

export function config() {
  return JSON.parse(document.getElementById("config").textContent);
}
