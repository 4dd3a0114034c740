// Library: the golfer's swings, newest first, in practice sessions (swings less than SESSION_GAP_MS
// apart), each labelled with its clubs; thumbnails, favourite, keep and delete; filtered by club.

import { api, requireLogin } from "../api.mjs";
import { analysisEvents, el, formatDate, formatScore, pageError, scoreTone, setupLayout, toast } from "../layout.mjs";
import { deleteSwing, keepVideo, storageText, thumbnail } from "../swings.mjs";
import { faultText } from "../words.mjs";

setupLayout();
const signedIn = requireLogin();

const PAGE_SIZE = 24;
const SESSION_GAP_MS = 30 * 60 * 1000;
const NO_CLUB = "club not recorded"; // swings stored before the club was kept
const grid = document.getElementById("swing-grid");
const more = document.getElementById("more");
const clubFilter = document.getElementById("club-filter");
let filter = "all", offset = 0, total = 0;
let session = null; // the session the next (older) swing may still belong to: { head, swings }

function describeSession(group) {
  const newest = group.swings[0], oldest = group.swings.at(-1);
  const clubs = [...new Set(group.swings.map((s) => s.club ?? NO_CLUB))];
  const scores = group.swings.map((s) => s.score).filter((s) => s !== null);
  const until = new Date(newest.swung_at).toLocaleTimeString(undefined, { timeStyle: "short" });
  const count = `${group.swings.length} swing${group.swings.length === 1 ? "" : "s"}`;
  const average = scores.length ? ` · average score ${formatScore(scores.reduce((a, b) => a + b, 0) / scores.length)}` : "";
  group.head.textContent = `${formatDate(oldest.swung_at)} – ${until} · ${count} · ${clubs.join(", ")}${average}`;
}

function place(swing) {
  const last = session?.swings.at(-1);
  if (!last || Date.parse(last.swung_at) - Date.parse(swing.swung_at) > SESSION_GAP_MS) {
    session = { head: el("h2", { class: "session-head" }), swings: [] };
    grid.append(session.head);
  }
  const group = session;
  group.swings.push(swing);
  describeSession(group);
  grid.append(card(swing, () => {
    group.swings = group.swings.filter((s) => s !== swing);
    if (group.swings.length) describeSession(group);
    else group.head.remove();
  }));
}

function toggle(swing, field, button, labels) {
  button.setAttribute("aria-pressed", String(swing[field]));
  button.textContent = labels[swing[field] ? 1 : 0];
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const updated = field === "keep"
        ? (await keepVideo(swing, !swing.keep)).swing
        : await api(`/swings/${swing.id}`, { method: "PATCH", json: { [field]: !swing[field] } });
      swing[field] = updated[field];
      button.setAttribute("aria-pressed", String(swing[field]));
      button.textContent = labels[swing[field] ? 1 : 0];
      if (field === "favorite" && filter === "favorite" && !swing.favorite) button.closest(".swing-card").remove();
    } catch (error) {
      toast(error.message, { tone: "bad" });
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function card(swing, onDelete) {
  const name = `swing of ${formatDate(swing.swung_at)}`;
  const scored = swing.score === null ? "not scored" : `score ${formatScore(swing.score)}`;
  const thumb = el("a", { class: "thumb", href: `/swings/${swing.id}`, "aria-label": `Open the analysis of the ${name}, ${scored}` },
    el("span", { class: "score", "data-tone": scoreTone(swing.score), "aria-hidden": "true" }, formatScore(swing.score)));
  thumbnail(swing).then((picture) => thumb.prepend(picture));
  const status = swing.status === "done" ? null : el("span", { class: "badge" }, swing.status === "processing" ? "analysing…" : "failed");
  const tempo = swing.tempo_ratio === null ? "" : ` · tempo ${swing.tempo_ratio.toFixed(1)}:1`;
  const node = el("article", { class: "swing-card", "data-swing-id": swing.id },
    thumb,
    el("div", { class: "body" },
      el("strong", {}, formatDate(swing.swung_at)),
      el("span", { class: "muted small" }, `${swing.club ?? NO_CLUB} · ${swing.source === "video" ? "video upload" : "from the camera"}${tempo} `, status),
      el("span", { class: "faults" }, swing.faults.length ? swing.faults.slice(0, 2).map(faultText).join(" · ") : swing.status === "done" ? "no major faults" : "")),
    el("div", { class: "tools" },
      toggle(swing, "favorite", el("button", { type: "button", class: "favorite", title: "Favourite", "aria-label": `Favourite: ${name}` }), ["☆", "★"]),
      toggle(swing, "keep", el("button", { type: "button", class: "keep", title: "Keep the video past the retention period", "aria-label": `Keep the video: ${name}` }), ["Keep", "Kept"]),
      el("button", {
        type: "button", class: "danger delete", title: "Delete this swing", "aria-label": `Delete the ${name}`,
        onclick: async () => {
          if (!confirm("Delete this swing and its analysis? This cannot be undone.")) return;
          try {
            await deleteSwing(swing.id);
            node.remove();
            onDelete();
            total -= 1;
            showCount();
          } catch (error) {
            toast(error.message, { tone: "bad" });
          }
        },
      }, "Delete")));
  return node;
}

function showCount() {
  document.getElementById("library-count").textContent = total ? `${total} swing${total === 1 ? "" : "s"}` : "";
  document.getElementById("library-empty").hidden = total > 0;
}

async function load(reset) {
  if (reset) {
    offset = 0;
    session = null;
    grid.replaceChildren();
  }
  const query = new URLSearchParams({ limit: PAGE_SIZE, offset });
  if (filter === "favorite") query.set("favorite", "true");
  if (clubFilter.value) query.set("club", clubFilter.value);
  const page = await api(`/swings?${query}`);
  total = page.total;
  offset += page.items.length;
  page.items.forEach(place);
  more.hidden = offset >= total;
  showCount();
  document.getElementById("storage").textContent = await storageText();
}

for (const button of document.querySelectorAll("[data-filter]")) {
  button.addEventListener("click", () => {
    filter = button.dataset.filter;
    for (const other of document.querySelectorAll("[data-filter]")) other.setAttribute("aria-pressed", String(other === button));
    reload(true);
  });
}
clubFilter.addEventListener("change", () => reload(true));
const reload = (reset) => load(reset).catch(pageError);
more.addEventListener("click", () => reload(false));
analysisEvents.addEventListener("analysis", () => reload(true));
if (signedIn) reload(true);
