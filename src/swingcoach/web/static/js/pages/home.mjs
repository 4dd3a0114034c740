// Start page: a welcome for visitors; for golfers, the way into practice and a glance at the rest.

import { api, signedIn } from "../api.mjs";
import { el, formatDate, formatScore, scoreTone, setupLayout } from "../layout.mjs";
import { thumbnail } from "../swings.mjs";

setupLayout();
const $ = (id) => document.getElementById(id);

async function dashboard() {
  $("dashboard").hidden = false;
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [latest, week, advice] = await Promise.all([
    api("/swings?limit=1"),
    api(`/stats?range=week&tz=${encodeURIComponent(timeZone)}`),
    api("/recommendations"),
  ]);
  const swing = latest.items[0];
  if (swing) {
    const details = el("div", {},
      el("span", { class: "score", "data-tone": scoreTone(swing.score) }, formatScore(swing.score)),
      el("p", { class: "small" }, formatDate(swing.swung_at)));
    $("latest").replaceChildren(details);
    $("latest").parentElement.href = `/swings/${swing.id}`;
    thumbnail(swing, 72, 96).then((picture) => $("latest").prepend(picture));
  }
  if (week.swings) {
    $("week").replaceChildren(el("div", {},
      el("div", { class: "big-number" }, `${week.swings}`),
      el("div", { class: "small" }, `swings · average score ${formatScore(week.score_mean)}`)));
  }
  const first = advice.items[0];
  if (first) $("focus").replaceChildren(el("div", {}, el("strong", {}, first.title), el("p", { class: "small" }, first.reason)));
}

if (!signedIn()) $("welcome").hidden = false;
else dashboard().catch(() => {});
