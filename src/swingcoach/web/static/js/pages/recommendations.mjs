// Drills and equipment chosen from the golfer's recurring faults, each with its reason.

import { api, freshAccess, requireLogin } from "../api.mjs";
import { el, pageError, setupLayout } from "../layout.mjs";
import { faultText } from "../words.mjs";

setupLayout();
const signedIn = requireLogin();

function card(item) {
  return el("article", { class: "card rec", "data-kind": item.kind, "data-id": item.id },
    el("h3", {}, item.title),
    el("p", { class: "reason" }, el("strong", {}, "Why: "), item.reason),
    el("p", {}, item.description),
    el("div", { class: "meta" }, ...item.faults.map((fault) => el("span", { class: "badge" }, faultText(fault)))),
    // The golfer's own clips of this drill play here; the coaches' videos are a search away.
    item.clips.length ? el("div", { class: "drill-clips" }, ...item.clips.map((id, i) => el("figure", {},
      el("video", { src: `/v1/swings/${id}/video`, controls: true, playsinline: true, muted: true, preload: "metadata", "aria-label": `Your clip ${i + 1} of ${item.title}` }),
      el("figcaption", {}, el("a", { href: `/swings/${id}` }, `Your clip ${i + 1}`))))) : null,
    item.kind === "drill" && !item.clips.length ? el("p", { class: "muted small" }, "Film yourself doing this drill, keep the video and tag it on its analysis page: it plays here.") : null,
    item.url ? el("a", { href: item.url, target: "_blank", rel: "noopener" }, item.kind === "drill" ? "Watch coaches teach it ↗" : "See examples ↗") : null);
}

async function show() {
  const result = await api("/recommendations");
  await freshAccess(); // the clips' <video> elements send the access cookie
  const note = result.note ?? `Based on your last ${result.swings_considered} swing${result.swings_considered === 1 ? "" : "s"}.`;
  document.getElementById("rec-note").textContent = note;
  for (const kind of ["drill", "equipment"]) {
    const items = result.items.filter((item) => item.kind === kind);
    const target = document.getElementById(kind === "drill" ? "drills" : "equipment");
    target.replaceChildren(...(items.length ? items.map(card) : [el("p", { class: "muted" }, "Nothing to suggest yet.")]));
  }
}

if (signedIn) show().catch(pageError);
