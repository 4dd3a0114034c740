// Two of the golfer's swings (before / after), side by side or overlaid, in step at the 8 events: the
// playhead moves through "event time" (0 = address … 7 = finish), and each swing shows the frame
// that lies as far between the same two events. Side by side, a swing whose clip is kept on the server
// shows the clip's frame (the video seeks to the row, and the skeleton drawn is the displayed frame's).
// Their metrics side by side, with the change.

import { api, freshAccess, requireLogin } from "../api.mjs";
import { el, formatDate, formatScore, pageError, setupLayout } from "../layout.mjs";
import { drawFigure, drawSkeleton, fitTransform } from "../skeleton.mjs";
import { loadPoses } from "../swings.mjs";
import { EVENT_NAMES, eventLabel } from "../words.mjs";

setupLayout();
const signedIn = requireLogin();

const $ = (id) => document.getElementById(id);
const STEPS_PER_EVENT = 100; // scrub resolution
const SPEEDS = [0.125, 0.25, 0.5, 1];
const L_HIP = 11, R_HIP = 12, L_ANKLE = 15, R_ANKLE = 16, NOSE = 0;
const BEFORE_COLORS = { left: "#9aa39d", right: "#9aa39d", center: "#c5ccc7" };
const state = { a: null, b: null, tau: 0, playing: true, speed: 0.5, layout: "side", clock: performance.now() };

async function loadSwing(id) {
  const swing = await api(`/swings/${id}`);
  const { payload, rows } = await loadPoses(id);
  const events = EVENT_NAMES.map((name) => swing.report.events[name] - payload.frame_offset);
  return { swing, payload, rows, events, fit: null, normal: normalised(rows, events[0]), shown: null };
}

// The clip behind the figure, when the server keeps one: its canvas takes the video's pixels.
function showClip(swing, video, canvas) {
  video.hidden = !swing.swing.has_video;
  if (video.hidden) {
    video.removeAttribute("src");
    [canvas.width, canvas.height] = [360, 480];
    return;
  }
  [canvas.width, canvas.height] = [swing.payload.width, swing.payload.height];
  video.src = `/v1/swings/${swing.swing.id}/video`;
}

// Seek the clip to the row (a new seek only once the last one is shown); draw the skeleton of the
// frame on screen, so the two never disagree.
function drawClip(swing, video, canvas, row) {
  const { fps, frame_offset: offset } = swing.payload;
  const wanted = (offset + Math.round(row) + 0.5) / fps; // inside the frame, not on its edge
  if (video.readyState >= 1 && !video.seeking && Math.abs(video.currentTime - wanted) > 0.5 / fps) video.currentTime = wanted;
  swing.shown = video.readyState >= 2 && !video.seeking ? Math.floor(video.currentTime * fps) - offset : null;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (swing.shown !== null) drawSkeleton(ctx, poseAt(swing.rows, swing.shown), undefined, { width: Math.max(2, canvas.width / 160) });
}

// The pose of the row, or of the nearest row that has one.
function poseAt(rows, row) {
  const r = Math.max(0, Math.min(rows.length - 1, Math.round(row)));
  for (let d = 0; d < rows.length; d++) {
    if (rows[r - d]) return rows[r - d];
    if (rows[r + d]) return rows[r + d];
  }
  return null;
}

// Event time -> the swing's row: linear between the two events around it.
function rowAt(swing, tau) {
  const i = Math.min(EVENT_NAMES.length - 2, Math.floor(tau));
  const f = tau - i;
  return swing.events[i] + f * (swing.events[i + 1] - swing.events[i]);
}

// Hip-centred, in units of the golfer's height at address: two golfers (or two camera distances)
// overlay on the same scale.
function normalised(rows, address) {
  const pose = poseAt(rows, address);
  const mid = (p, a, b) => [(p[a][0] + p[b][0]) / 2, (p[a][1] + p[b][1]) / 2];
  const height = pose ? Math.max(1, mid(pose, L_ANKLE, R_ANKLE)[1] - pose[NOSE][1]) : 1;
  return (p) => {
    if (!p) return null;
    const [hx, hy] = mid(p, L_HIP, R_HIP);
    return p.map(([x, y, c]) => [(x - hx) / height, (y - hy) / height, c]);
  };
}

function draw() {
  const { a, b, tau } = state;
  if (state.layout === "side") {
    for (const [swing, canvas, video] of [[a, $("canvas-a"), $("video-a")], [b, $("canvas-b"), $("video-b")]]) {
      if (swing.swing.has_video) {
        drawClip(swing, video, canvas, rowAt(swing, tau));
        continue;
      }
      swing.fit ??= fitTransform(swing.rows.filter(Boolean), canvas.width, canvas.height);
      drawFigure(canvas, poseAt(swing.rows, rowAt(swing, tau)), swing.fit, { width: 4 });
    }
  } else {
    const canvas = $("canvas-overlay");
    const before = a.normal(poseAt(a.rows, rowAt(a, tau))), after = b.normal(poseAt(b.rows, rowAt(b, tau)));
    state.overlayFit ??= fitTransform(
      [...a.rows.filter(Boolean).map(a.normal), ...b.rows.filter(Boolean).map(b.normal)], canvas.width, canvas.height);
    drawFigure(canvas, null, null);
    const ctx = canvas.getContext("2d");
    drawSkeleton(ctx, before, state.overlayFit, { width: 7, colors: BEFORE_COLORS });
    drawSkeleton(ctx, after, state.overlayFit, { width: 3.5 });
  }
  const event = Math.min(EVENT_NAMES.length - 1, Math.round(tau));
  $("compare-phase").textContent = Math.abs(tau - event) < 0.02 ? eventLabel(EVENT_NAMES[event]) : `${eventLabel(EVENT_NAMES[Math.floor(tau)])} → ${eventLabel(EVENT_NAMES[Math.min(7, Math.floor(tau) + 1)])}`;
  for (const chip of $("compare-chips").children) chip.toggleAttribute("data-current", Number(chip.dataset.index) === Math.floor(tau + 0.02));
  if (document.activeElement !== $("compare-scrub")) $("compare-scrub").value = String(Math.round(tau * STEPS_PER_EVENT));
  $("compare-stage").dataset.tau = tau.toFixed(3);
  $("compare-stage").dataset.rows = `${Math.round(rowAt(a, tau))},${Math.round(rowAt(b, tau))}`;
  $("compare-stage").dataset.shown = `${a.shown ?? ""},${b.shown ?? ""}`;
}

function tick(now) {
  if (state.playing && state.a) {
    // Real time at the "before" swing's own pace between its events, times the speed.
    const i = Math.min(EVENT_NAMES.length - 2, Math.floor(state.tau));
    const frames = Math.max(1, state.a.events[i + 1] - state.a.events[i]);
    state.tau += (((now - state.clock) / 1000) * state.a.payload.fps * state.speed) / frames;
    if (state.tau >= EVENT_NAMES.length - 1) state.tau = 0;
  }
  state.clock = now;
  if (state.a) draw();
  requestAnimationFrame(tick);
}

function showPlaying() {
  $("compare-play").textContent = state.playing ? "❚❚" : "▶";
  $("compare-play").setAttribute("aria-label", state.playing ? "Pause" : "Play");
}

const seek = (tau) => {
  state.playing = false;
  state.tau = Math.max(0, Math.min(EVENT_NAMES.length - 1, tau));
  showPlaying();
};

function metricTable() {
  const { a, b } = state;
  const rows = [["Score", a.swing.report.score, b.swing.report.score, "", (v) => formatScore(v)]];
  for (const [name, m] of Object.entries(a.swing.report.metrics)) {
    const other = b.swing.report.metrics[name];
    if (!other || (m.value === null && other.value === null)) continue;
    const unit = m.unit === ":1" ? " : 1" : ` ${m.unit}`;
    rows.push([m.label, m.value, other.value, unit, (v) => `${v}`]);
  }
  $("compare-table").querySelector("tbody").replaceChildren(...rows.map(([label, before, after, unit, format]) => {
    const change = before === null || after === null ? "–" : `${after - before > 0 ? "+" : ""}${(after - before).toFixed(1)}${unit}`;
    return el("tr", {}, el("td", {}, label), el("td", { class: "value" }, before === null ? "–" : `${format(before)}${unit}`),
      el("td", { class: "value" }, after === null ? "–" : `${format(after)}${unit}`), el("td", {}, change));
  }));
}

async function choose() {
  const [ida, idb] = [$("pick-a").value, $("pick-b").value];
  history.replaceState(null, "", `/compare?a=${ida}&b=${idb}`);
  [state.a, state.b] = await Promise.all([loadSwing(ida), loadSwing(idb)]);
  state.overlayFit = null;
  if (state.a.swing.has_video || state.b.swing.has_video) await freshAccess(); // <video> sends the access cookie
  for (const [swing, side, label] of [[state.a, "a", "Before"], [state.b, "b", "After"]]) {
    showClip(swing, $(`video-${side}`), $(`canvas-${side}`));
    const shows = swing.swing.has_video ? "its clip" : "stick figure (no clip kept)";
    $(`caption-${side}`).textContent = `${label} · ${formatDate(swing.swing.swung_at)} · score ${formatScore(swing.swing.report.score)} · ${shows}`;
  }
  metricTable();
  $("compare-view").hidden = false;
  document.body.dataset.ready = "true";
}

function setLayout(layout) {
  state.layout = layout;
  for (const button of document.querySelectorAll("[data-layout]")) button.setAttribute("aria-pressed", String(button.dataset.layout === layout));
  $("canvas-a").closest("figure").hidden = $("canvas-b").closest("figure").hidden = layout !== "side";
  $("overlay-figure").hidden = layout === "side";
}

async function start() {
  const page = await api("/swings?status=done&limit=100");
  if (page.items.length < 2) {
    $("compare-empty").hidden = false;
    return;
  }
  const query = new URLSearchParams(location.search);
  const ids = page.items.map((s) => s.id);
  for (const [pick, wanted, fallback] of [[$("pick-a"), query.get("a"), ids[1]], [$("pick-b"), query.get("b"), ids[0]]]) {
    pick.replaceChildren(...page.items.map((s) => new Option(`${formatDate(s.swung_at)} · score ${formatScore(s.score)}`, s.id)));
    pick.value = ids.includes(wanted) ? wanted : fallback;
    pick.addEventListener("change", () => choose().catch(pageError));
  }
  $("compare-speed").replaceChildren(...SPEEDS.map((speed) => new Option(`${speed}×`, String(speed))));
  $("compare-speed").value = String(state.speed);
  $("compare-speed").addEventListener("change", () => (state.speed = Number($("compare-speed").value)));
  $("compare-play").addEventListener("click", () => {
    state.playing = !state.playing;
    showPlaying();
  });
  $("compare-scrub").addEventListener("input", () => seek(Number($("compare-scrub").value) / STEPS_PER_EVENT));
  $("compare-chips").replaceChildren(...EVENT_NAMES.map((name, i) => el("button", {
    type: "button", "data-index": String(i), "aria-label": `Go to ${eventLabel(name)}`, onclick: () => seek(i),
  }, eventLabel(name))));
  $("compare-stage").addEventListener("keydown", (event) => {
    const step = 1 / STEPS_PER_EVENT * 10;
    const number = Number(event.key);
    const action = {
      " ": () => { state.playing = !state.playing; showPlaying(); },
      ArrowLeft: () => seek(state.tau - step), ArrowRight: () => seek(state.tau + step),
    }[event.key] ?? (number >= 1 && number <= 8 ? () => seek(number - 1) : null);
    if (!action) return;
    event.preventDefault();
    action();
  });
  for (const button of document.querySelectorAll("[data-layout]")) button.addEventListener("click", () => setLayout(button.dataset.layout));
  showPlaying();
  await choose();
  requestAnimationFrame(tick);
}

if (signedIn) start().catch(pageError);
