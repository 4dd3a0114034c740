// Statistics over the last day, week or month: score, tempo, swing count and fault frequency.

import { api, requireLogin } from "../api.mjs";
import { barChart, hbarChart, lineChart } from "../charts.mjs";
import { analysisEvents, formatScore, pageError, setupLayout } from "../layout.mjs";

setupLayout();
const signedIn = requireLogin();

const $ = (id) => document.getElementById(id);
let range = "week", latest = null;
const METRIC_KEY = "swingcoach.statsMetric";

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
  latest = { stats, labels };
  metricHistory();
}

// The chosen metric's mean per period, against its tour range; the choice is remembered.
function metricHistory() {
  const { stats, labels } = latest;
  const names = Object.keys(stats.metrics);
  const choice = $("metric-choice");
  const wanted = choice.value || localStorage.getItem(METRIC_KEY) || "tempo_ratio";
  choice.replaceChildren(...names.map((name) => new Option(stats.metrics[name].label, name)));
  $("metric-history").hidden = names.length === 0;
  if (!names.length) return;
  choice.value = names.includes(wanted) ? wanted : names[0];
  const metric = stats.metrics[choice.value];
  const unit = metric.unit === ":1" ? " : 1" : ` ${metric.unit}`;
  const digits = metric.unit === ":1" ? 2 : 1;
  $("metric-mean").textContent = `average ${metric.mean.toFixed(digits)}${unit} · tour ${metric.range[0]} – ${metric.range[1]}${unit}`;
  lineChart($("chart-metric"), {
    labels, values: stats.buckets.map((b) => b.metrics[choice.value] ?? null), band: metric.range,
    format: (v) => v.toFixed(digits), label: `${metric.label} per period, tour range shaded`,
  });
}

$("metric-choice").addEventListener("change", () => {
  localStorage.setItem(METRIC_KEY, $("metric-choice").value);
  metricHistory();
});

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
