// Statistics over the last day, week or month: score, tempo, swing count and fault frequency.

import { api, requireLogin } from "../api.mjs";
import { barChart, hbarChart, lineChart } from "../charts.mjs";
import { analysisEvents, formatScore, pageError, setupLayout } from "../layout.mjs";

setupLayout();
const signedIn = requireLogin();

const $ = (id) => document.getElementById(id);
let range = "week";

function bucketLabel(start, bucket) {
  const date = new Date(start);
  return bucket === "hour"
    ? date.toLocaleTimeString(undefined, { hour: "2-digit" })
    : date.toLocaleDateString(undefined, range === "week" ? { weekday: "short" } : { day: "numeric", month: "short" });
}

async function show() {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const stats = await api(`/stats?range=${range}&tz=${encodeURIComponent(timeZone)}`);
  $("kpi-swings").textContent = `${stats.swings}`;
  $("kpi-score").textContent = formatScore(stats.score_mean);
  $("kpi-best").textContent = formatScore(stats.score_best);
  $("kpi-tempo").textContent = stats.tempo_ratio_mean === null ? "–" : `${stats.tempo_ratio_mean.toFixed(1)} : 1`;
  document.body.dataset.statsSwings = stats.swings;
  const labels = stats.buckets.map((b) => bucketLabel(b.start, stats.bucket));
  lineChart($("chart-score"), { labels, values: stats.buckets.map((b) => b.score_mean), min: 0, max: 100, format: (v) => `${Math.round(v)}`, label: "Average score per period" });
  lineChart($("chart-tempo"), { labels, values: stats.buckets.map((b) => b.tempo_ratio_mean), band: stats.metrics.tempo_ratio?.range ?? null, format: (v) => v.toFixed(1), label: "Tempo ratio per period, tour range shaded" });
  barChart($("chart-count"), { labels, values: stats.buckets.map((b) => b.swings), label: "Swings per period" });
  hbarChart($("chart-faults"), { items: stats.top_faults.map((f) => ({ label: f.label, share: f.share })), label: "Share of swings with each fault" });
}

for (const button of document.querySelectorAll("[data-range]")) {
  button.addEventListener("click", () => {
    range = button.dataset.range;
    for (const other of document.querySelectorAll("[data-range]")) other.setAttribute("aria-pressed", String(other === button));
    refresh();
  });
}
const refresh = () => show().catch(pageError);
analysisEvents.addEventListener("analysis", refresh);
if (signedIn) refresh();
