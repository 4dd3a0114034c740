// What every page shares: the navigation, the account menu, "analysis complete" notifications
// (server-sent events) and the upload queue, which keeps draining whichever page is open.

import { api, config, freshAccess, logout, signedIn } from "./api.mjs";
import * as notify from "./notify.mjs";
import { wake } from "./outbox.mjs";
import * as store from "./store.mjs";

export const analysisEvents = new EventTarget();

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    // Through the CSSOM: the Content-Security-Policy refuses style attributes from markup.
    else if (name === "style") node.style.cssText = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

export function toast(message, { href = null, tone = "info", seconds = 8 } = {}) {
  const body = href ? el("a", { href }, message) : el("span", {}, message);
  const item = el("div", { class: `toast ${tone}`, role: "status" }, body,
    el("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  document.getElementById("toasts").append(item);
  setTimeout(() => item.remove(), seconds * 1000);
  return item;
}

// A page whose data cannot be loaded says why on the page (offline, server unreachable), instead of
// failing silently or throwing.
export function pageError(error) {
  const box = document.getElementById("page-error");
  box.textContent = navigator.onLine
    ? `Could not load this page: ${error.message}`
    : "You are offline: this page needs the connection. Practice works offline; its swings are sent later.";
  box.hidden = false;
}

export const formatScore = (score) => (score === null || score === undefined ? "–" : Math.round(score).toString());

export function formatDate(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function scoreTone(score) {
  if (score === null || score === undefined) return "none";
  return score >= 75 ? "good" : score >= 50 ? "fair" : "poor";
}

// Give a video box the video's shape; its CSS max-height then also narrows a portrait video.
export function fitAspect(box, width, height) {
  box.style.aspectRatio = `${width} / ${height}`;
  box.style.maxWidth = `calc(${getComputedStyle(box).maxHeight} * ${width / height})`;
}

function markTab() {
  const page = document.body.dataset.page;
  const tab = page === "analysis" || page === "compare" ? "library" : page;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
  }
}

async function showAccount() {
  const box = document.getElementById("account");
  document.getElementById("logout").addEventListener("click", async () => {
    // Clips and unsent swings stay with the account, not with the next person on this browser.
    const unsent = (await store.all("outbox")).filter((item) => item.status === "pending").length;
    if (unsent && !confirm(`${unsent} swing upload${unsent > 1 ? "s are" : " is"} still waiting. Log out and drop ${unsent > 1 ? "them" : "it"}?`)) return;
    await Promise.all([store.clear("outbox"), store.clear("clips")]);
    await logout();
    sessionStorage.removeItem("swingcoach.email");
    location.assign("/");
  });
  let email = sessionStorage.getItem("swingcoach.email");
  if (email === null) {
    email = (await api("/auth/me")).email;
    sessionStorage.setItem("swingcoach.email", email);
  }
  document.getElementById("account-email").textContent = email;
  box.hidden = false;
}

// The stream authenticates with the access cookie; a closed stream (the cookie expired) is
// reopened after a refresh.
async function listen() {
  if (!(await freshAccess())) return;
  const source = new EventSource("/v1/events");
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
  });
  const handle = (event) => {
    const data = JSON.parse(event.data);
    analysisEvents.dispatchEvent(new CustomEvent("analysis", { detail: data }));
    const href = data.swing_id ? `/swings/${data.swing_id}` : null;
    if (data.event === "analysis.complete") {
      const count = (data.swing_ids ?? []).length;
      const scored = data.score !== undefined && data.score !== null;
      notify.announce({
        title: scored ? `Swing analysed: score ${formatScore(data.score)}` : "Swing analysed",
        body: count > 1 ? `${count} swings in this video. Open the analysis for the advice.` : "Open the analysis for the advice.",
        spoken: scored ? `Swing saved, score ${formatScore(data.score)}` : "Swing saved",
        href,
      });
    } else {
      notify.announce({ title: "Analysis failed", body: data.error ?? "unknown error", spoken: "The analysis failed", href, good: false });
    }
  };
  source.addEventListener("analysis.complete", handle);
  source.addEventListener("analysis.failed", handle);
}

// The notification list behind the bell, and how the golfer wants to be told.
function noticePanel() {
  const button = document.getElementById("notices-button"), panel = document.getElementById("notices");
  const show = () => {
    const items = notify.history();
    const unread = items.filter((item) => !item.read).length;
    document.getElementById("notices-count").textContent = `${unread}`;
    document.getElementById("notices-count").hidden = unread === 0;
    button.setAttribute("aria-label", unread ? `Notifications, ${unread} new` : "Notifications");
    document.getElementById("notice-empty").hidden = items.length > 0;
    document.getElementById("notice-list").replaceChildren(...items.map((item) => el("li", { "data-tone": item.good ? "good" : "bad" },
      item.href ? el("a", { href: item.href }, item.title) : el("strong", {}, item.title),
      el("span", { class: "muted small" }, ` · ${formatDate(item.at)}`))));
  };
  button.hidden = false;
  button.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) notify.markRead();
  });
  const chosen = notify.settings();
  for (const box of panel.querySelectorAll("[data-notify]")) {
    box.checked = chosen[box.dataset.notify];
    box.addEventListener("change", () => notify.saveSettings({ [box.dataset.notify]: box.checked }));
  }
  const permission = document.getElementById("notify-permission");
  permission.hidden = !("Notification" in window) || Notification.permission !== "default";
  permission.addEventListener("click", async () => (permission.hidden = (await notify.askPermission()) !== "default"));
  document.getElementById("notices-clear").addEventListener("click", notify.clearHistory);
  document.getElementById("result-close").addEventListener("click", () => (document.getElementById("result-banner").hidden = true));
  notify.changes.addEventListener("change", show);
  show();
}

// Installable and offline: the service worker keeps the app shell and the pose models; the browser
// offers "install" once it deems the app installable.
function progressiveApp() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(`/sw.js?v=${config().shell}`).catch(() => {});
  }
  const install = document.getElementById("install");
  let offer = null;
  addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    offer = event;
    install.hidden = false;
  });
  install.addEventListener("click", async () => {
    if (offer === null) return;
    offer.prompt();
    await offer.userChoice;
    offer = null;
    install.hidden = true;
  });
  addEventListener("appinstalled", () => (install.hidden = true));
  const banner = document.getElementById("offline");
  const showConnection = () => (banner.hidden = navigator.onLine);
  addEventListener("online", showConnection);
  addEventListener("offline", showConnection);
  showConnection();
}

// Call first thing on every page.
export function setupLayout() {
  markTab();
  progressiveApp();
  document.body.classList.toggle("signed-in", signedIn());
  if (!signedIn()) return;
  noticePanel();
  showAccount().catch(() => {});
  listen();
  wake();
}
