// Drills and equipment chosen from the golfer's recurring faults, each with its reason.

import { api, requireLogin } from "../api.mjs";
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
    item.url ? el("a", { href: item.url, target: "_blank", rel: "noopener" }, item.kind === "drill" ? "Watch drill videos ↗" : "See examples ↗") : null);
}

async function show() {
  const result = await api("/recommendations");
  const note = result.note ?? `Based on your last ${result.swings_considered} swing${result.swings_considered === 1 ? "" : "s"}.`;
  document.getElementById("rec-note").textContent = note;
  for (const kind of ["drill", "equipment"]) {
    const items = result.items.filter((item) => item.kind === kind);
    const target = document.getElementById(kind === "drill" ? "drills" : "equipment");
    target.replaceChildren(...(items.length ? items.map(card) : [el("p", { class: "muted" }, "Nothing to suggest yet.")]));
  }
}

if (signedIn) show().catch(pageError);
