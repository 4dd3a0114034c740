// The service worker: keeps the app shell (pages, scripts, styles, icons) and the in-browser pose
// models so practice starts without a connection. The API (/v1) always goes to the network: swings
// made offline wait in the page's outbox (IndexedDB) and are sent when the connection is back.
// Registered as /sw.js?v=VERSION: a new release has a new version, so it installs a fresh cache.

const VERSION = new URL(self.location.href).searchParams.get("v") ?? "dev";
const CACHE = `swingcoach-${VERSION}`;
const ANALYSIS_SHELL = "/swings/offline";
const NETWORK_ONLY = ["/v1/", "/docs", "/redoc", "/openapi.json", "/metrics", "/healthz", "/readyz", "/app-shell.json"];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await (await fetch("/app-shell.json", { cache: "no-store" })).json();
    const cache = await caches.open(CACHE);
    await cache.addAll(shell.urls.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("swingcoach-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Pages: the network first (fresh HTML when online), the kept copy when offline.
async function page(request) {
  const cache = await caches.open(CACHE);
  const path = new URL(request.url).pathname;
  try {
    const response = await fetch(request);
    if (response.ok && !path.startsWith("/swings/")) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(path.startsWith("/swings/") ? ANALYSIS_SHELL : path, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

// Scripts, styles, icons and models: the kept copy, else the network (kept for next time).
async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.status === 200) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (NETWORK_ONLY.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.headers.has("range")) return;
  event.respondWith(request.mode === "navigate" ? page(request) : asset(request));
});

// A system notification opens its swing in the app (an open window if there is one).
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const href = event.notification.data?.href ?? "/";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window" });
    if (windows.length) return windows[0].navigate(href).then((client) => client?.focus());
    return self.clients.openWindow(href);
  })());
});
