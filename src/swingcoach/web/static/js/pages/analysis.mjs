// Analysis of one swing: the clip with the skeleton and event markers, the 8 event frames, score,
// advice, metrics against tour ranges, the golfer over the tour swings at each event, and the ball flight.

import { api, config, freshAccess, requireLogin } from "../api.mjs";
import { scoreRing } from "../charts.mjs";
import { analysisEvents, el, fitAspect, formatDate, pageError, setupLayout, toast } from "../layout.mjs";
import { Drawings, fromPose } from "../drawing.mjs";
import { drawFigure, drawSkeleton, fitTransform } from "../skeleton.mjs";
import * as store from "../store.mjs";
import * as outbox from "../outbox.mjs";
import { deleteSwing, keepVideo, loadPoses, storageText } from "../swings.mjs";
import { EVENT_NAMES, eventLabel, viewLabel } from "../words.mjs";

setupLayout();
const signedIn = requireLogin();

const $ = (id) => document.getElementById(id);
const swingId = decodeURIComponent(location.pathname.split("/").pop());
const SPEEDS = [0.125, 0.25, 0.5, 1];
const SPEED_NAMES = { 0.125: "⅛×", 0.25: "¼×", 0.5: "½×", 1: "1×" };

// Everything the page draws from: the report, the keypoint rows and where row 0 is on the video.
const view = { swing: null, report: null, rows: [], payload: null, events: {}, videoBase: 0, hasVideo: false };

const rowTime = (row) => view.videoBase + row / view.payload.fps;
const timeRow = (t) => Math.max(0, Math.min(view.rows.length - 1, Math.round((t - view.videoBase) * view.payload.fps)));

// The pose of the row, or of the nearest row that has one.
function nearest(rows, row) {
  for (let d = 0; d < rows.length; d++) {
    if (rows[row - d]) return rows[row - d];
    if (rows[row + d]) return rows[row + d];
  }
  return null;
}
const nearestPose = (row) => nearest(view.rows, row);

function toggleButton(button, field, labels) {
  const show = () => {
    button.setAttribute("aria-pressed", String(view.swing[field]));
    button.textContent = labels[view.swing[field] ? 1 : 0];
  };
  show();
  button.addEventListener("click", async () => {
    try {
      view.swing = { ...view.swing, ...(await api(`/swings/${swingId}`, { method: "PATCH", json: { [field]: !view.swing[field] } })) };
      show();
    } catch (error) {
      toast(error.message, { tone: "bad" });
    }
  });
}

// Keep video: kept past the retention period, and this browser's clip uploaded to the server with
// a progress bar; once stored it plays and downloads on any device of the golfer.
function keepButton() {
  const button = $("keep");
  const show = () => {
    button.setAttribute("aria-pressed", String(view.swing.keep));
    button.textContent = view.swing.keep ? "Video kept" : "Keep video";
    $("download").hidden = !view.swing.has_video;
    $("download").href = `/v1/swings/${swingId}/video?download=1`;
  };
  show();
  button.addEventListener("click", async () => {
    try {
      const { swing, uploading } = await keepVideo(view.swing, !view.swing.keep);
      view.swing = { ...view.swing, ...swing };
      if (uploading) {
        $("clip-progress").hidden = false;
        $("clip-status").textContent = "Uploading the clip…";
      }
      show();
    } catch (error) {
      toast(error.message, { tone: "bad" });
    }
  });
  outbox.events.addEventListener("progress", ({ detail }) => {
    if (detail.item.swingId !== swingId) return;
    $("clip-progress").max = detail.total;
    $("clip-progress").value = detail.received;
    $("clip-status").textContent = `Uploading the clip: ${Math.round((100 * detail.received) / detail.total)}%`;
  });
  outbox.events.addEventListener("delivered", async ({ detail }) => {
    if (detail.item.swingId !== swingId || detail.item.kind !== "clip") return;
    $("clip-progress").hidden = true;
    view.swing = { ...view.swing, has_video: true };
    $("clip-status").textContent = `Clip kept on the server: it plays on your other devices. ${await storageText().catch(() => "")}`;
    document.body.dataset.clipKept = "true";
    show();
  });
  outbox.events.addEventListener("failed", ({ detail }) => {
    if (detail.item.swingId === swingId && detail.item.kind === "clip") $("clip-status").textContent = `The clip was not kept: ${detail.item.error}`;
  });
}

// Tagging the clip as a drill: it then plays with that drill on the recommendations page (once the
// clip is on the server: "Keep video").
function drillTag() {
  const select = $("drill"), status = $("drill-status");
  select.append(...config().drills.map((drill) => new Option(drill.title, drill.id)));
  select.value = view.swing.drill ?? "";
  select.addEventListener("change", async () => {
    try {
      view.swing = { ...view.swing, ...(await api(`/swings/${swingId}`, { method: "PATCH", json: { drill: select.value || null } })) };
      status.textContent = !view.swing.drill ? "" : view.swing.has_video
        ? "Saved: it plays with this drill in For you."
        : "Saved. Keep the video so it plays with this drill in For you.";
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  });
}

function facts() {
  const { swing, report } = view;
  const tempo = report.metrics.tempo_ratio?.value;
  const rows = [
    ["Swung", formatDate(swing.swung_at)],
    ["Golfer", `${report.handedness}-handed`],
    ["Camera", report.camera_azimuth === null || report.camera_azimuth === undefined ? viewLabel(report.view) : `${viewLabel(report.view)}, ${Math.round(report.camera_azimuth)}°`],
    ["Tracking", report.tracking ? `${Math.round(100 * report.tracking.score)}% of frames` : "–"],
    ["Tempo", tempo === null || tempo === undefined ? "–" : `${tempo.toFixed(1)} : 1`],
    ["Source", swing.source === "video" ? "video, analysed on the server" : "filmed with the app"],
  ];
  $("facts").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  // The versions behind this analysis, for whoever asks "why did my score change?".
  const versions = Object.entries(swing.models).filter(([, v]) => v !== null && v !== undefined);
  $("versions").replaceChildren(...versions.flatMap(([k, v]) => [el("dt", {}, k.replaceAll("_", " ")), el("dd", {}, `${v}`)]));
}

function warnings() {
  const list = view.report.warnings ?? [];
  $("warnings").replaceChildren(...list.map((text) => el("p", { class: "warning" }, text)));
  $("warnings").hidden = list.length === 0;
}

function advice() {
  const items = view.report.advice;
  const none = view.report.score === null ? "No advice: this swing was not scored." : "Nothing stands out: keep grooving this swing.";
  $("advice").replaceChildren(...(items.length ? items.map((a) => el("li", {}, a.text)) : [el("li", {}, none)]));
}

function metricsTable() {
  const body = $("metrics").querySelector("tbody");
  const percentiles = view.report.comparison?.percentiles ?? {};
  body.replaceChildren(...Object.entries(view.report.metrics).map(([name, m]) => {
    const [lo, hi] = m.range;
    const span = hi - lo || 1;
    let min = lo - span, max = hi + span;
    if (m.value !== null) [min, max] = [Math.min(min, m.value - span * 0.1), Math.max(max, m.value + span * 0.1)];
    const pct = (v) => `${(100 * (v - min)) / (max - min)}%`;
    const bar = el("div", { class: "range" }, el("div", { class: "band", style: `left:${pct(lo)};width:calc(${pct(hi)} - ${pct(lo)})` }));
    if (m.value !== null) bar.append(el("div", { class: "mark", style: `left:${pct(m.value)}` }));
    const unit = m.unit === ":1" ? " : 1" : ` ${m.unit}`;
    return el("tr", { "data-metric": name, "data-status": m.status },
      el("td", {}, m.label, el("div", { class: "range-label" }, `at ${m.event}`),
        (m.value === null || m.score === null) && m.note ? el("div", { class: "metric-note" }, m.note) : null),
      el("td", { class: "value" }, m.value === null ? "–" : `${m.value}${unit}`),
      el("td", {}, bar, el("div", { class: "range-label" }, `${lo} – ${hi}${unit}`)),
      el("td", {}, m.score === null ? el("span", { class: "muted small" }, "n/a") : `${Math.round(m.score)}`),
      el("td", {}, percentiles[name] === undefined ? "–" : `${Math.round(percentiles[name])}`));
  }));
}

// What the posture predicts for the ball, and whether the data supports advice from it.
function ballFlight() {
  const flight = view.report.ball_flight;
  $("flight-card").hidden = !flight;
  if (!flight) return;
  const sign = (v) => (v > 0 ? "+" : "") + v.toFixed(1);
  const u = flight.uncertainty;
  $("flight").textContent = `With a ${flight.club}: ${Math.round(flight.carry)} ± ${Math.round(u.carry)} m carry, ${Math.round(flight.distance)} m total, direction ${sign(flight.direction_deg)} ± ${u.direction_deg.toFixed(1)}°, spin axis ${sign(flight.spin_axis_deg)}°: ${flight.curve} (± is the mean error on golfers the model never saw).`;
  $("flight-note").textContent = flight.domain_note ? `${flight.domain_note} ${flight.note}` : flight.note;
  $("flight-advice").replaceChildren(...flight.advice.map((a) => el("li", {}, a.text)));
}

// --- the clip, or a replay of the keypoints when there is no video --------------------------------

async function videoSource() {
  const local = await store.get("clips", swingId).catch(() => undefined);
  if (local?.clip) {
    view.videoBase = local.clipOffsetS;
    return { src: URL.createObjectURL(local.clip), note: "Clip recorded in this browser." };
  }
  if (view.swing.has_video) {
    view.videoBase = view.payload.frame_offset / view.payload.fps;
    await freshAccess(); // the <video> element sends the access cookie, not a URL token
    return { src: `/v1/swings/${swingId}/video`, note: "The clip kept on the server." };
  }
  return null;
}

// The events as a row of buttons under the bar (ticks on the bar): labels never overlap, however
// close the events are in time.
function timeline(onSeek) {
  const span = Math.max(1, view.rows.length - 1);
  const progress = el("div", { class: "progress" });
  const ticks = EVENT_NAMES.map((name) => el("span", { class: "tick", style: `left:${(100 * view.events[name]) / span}%` }));
  $("timeline").replaceChildren(progress, ...ticks);
  const chips = EVENT_NAMES.map((name) => el("button", {
    type: "button", "data-event": name, "aria-label": `Go to ${eventLabel(name)}`, onclick: () => onSeek(view.events[name]),
  }, eventLabel(name)));
  $("event-chips").replaceChildren(...chips);
  return (row) => {
    progress.style.width = `${(100 * row) / span}%`;
    let current = -1;
    EVENT_NAMES.forEach((name, i) => { if (view.events[name] <= row + 0.5) current = i; });
    chips.forEach((chip, i) => chip.toggleAttribute("data-current", i === current));
  };
}

// The clip (or the keypoint replay) with play/pause, speed, scrubbing, frame steps, the skeleton
// on or off, and the keyboard: space or K plays/pauses, ← → step a frame, ↑ ↓ change speed, S the
// skeleton, Home/End the first/last frame, 1-8 jump to an event.
async function player() {
  const video = $("clip"), canvas = $("clip-overlay"), box = $("player");
  const source = await videoSource();
  const { width, height, fps } = view.payload;
  const last = view.rows.length - 1;
  fitAspect(box, width, height);
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const state = { playing: true, speed: 0.5, row: 0, skeleton: true, clock: performance.now() };
  view.player = state;
  view.hasVideo = source !== null;
  $("clip-source").textContent = source ? source.note : "No video of this swing here: a replay of its keypoints.";
  const scrub = $("scrub");
  scrub.max = String(last);
  const showProgress = timeline((row) => seek(row));
  const showControls = () => {
    $("play").textContent = state.playing ? "❚❚" : "▶";
    $("play").setAttribute("aria-label", state.playing ? "Pause" : "Play");
    $("speed").value = String(state.speed);
    $("skeleton").checked = state.skeleton;
  };
  const play = () => {
    state.playing = true;
    if (view.hasVideo) {
      video.playbackRate = state.speed;
      video.play().catch(() => {});
    }
    showControls();
  };
  const pause = () => {
    state.playing = false;
    if (view.hasVideo) video.pause();
    showControls();
  };
  const seek = (row) => {
    pause();
    state.row = Math.max(0, Math.min(last, Math.round(row)));
    if (view.hasVideo) video.currentTime = rowTime(state.row) + 0.5 / fps; // inside the frame, not on its edge
  };
  const setSpeed = (speed) => {
    state.speed = speed;
    video.playbackRate = speed;
    showControls();
  };
  const toggle = () => (state.playing ? pause() : play());
  const step = (frames) => seek(state.row + frames);
  const faster = (direction) => setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, SPEEDS.indexOf(state.speed) + direction))]);
  $("speed").replaceChildren(...SPEEDS.map((speed) => el("option", { value: String(speed) }, SPEED_NAMES[speed])));
  $("play").addEventListener("click", toggle);
  $("back").addEventListener("click", () => step(-1));
  $("forward").addEventListener("click", () => step(1));
  $("speed").addEventListener("change", () => setSpeed(Number($("speed").value)));
  $("skeleton").addEventListener("change", () => (state.skeleton = $("skeleton").checked));
  scrub.addEventListener("input", () => seek(Number(scrub.value)));
  const transform = fitTransform(view.rows.filter(Boolean), width, height);
  const drawings = drawingTools(transform, () => Math.floor(state.row), pause);
  box.addEventListener("click", (event) => {
    if (drawings.tool === null) return toggle();
    const rect = canvas.getBoundingClientRect();
    const q = [((event.clientX - rect.left) / rect.width) * width, ((event.clientY - rect.top) / rect.height) * height];
    drawings.clicked(view.hasVideo ? q : transform.invert(q));
  });
  box.addEventListener("keydown", (event) => {
    const keys = {
      " ": toggle, k: toggle, ArrowLeft: () => step(-1), ArrowRight: () => step(1), ",": () => step(-1), ".": () => step(1),
      ArrowUp: () => faster(1), ArrowDown: () => faster(-1), s: () => { state.skeleton = !state.skeleton; showControls(); },
      Home: () => seek(0), End: () => seek(last),
    };
    const eventIndex = Number(event.key) - 1;
    const action = keys[event.key] ?? (eventIndex >= 0 && eventIndex < 8 ? () => seek(view.events[EVENT_NAMES[eventIndex]]) : null);
    if (action === null || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
  });
  if (source) {
    video.src = source.src;
    video.addEventListener("loadedmetadata", () => (video.currentTime = rowTime(0)), { once: true });
    play();
  }
  showControls();
  const shapeScale = Math.max(width, height) / 720;
  const frame = (now) => {
    if (view.hasVideo) {
      const end = rowTime(last);
      if (state.playing && (video.currentTime > end || video.currentTime < rowTime(0) - 0.5)) video.currentTime = rowTime(0);
      if (state.playing || !video.seeking) state.row = timeRow(video.currentTime);
      ctx.clearRect(0, 0, width, height);
      if (state.skeleton) drawSkeleton(ctx, view.rows[state.row], undefined, { width: Math.max(2, width / 160) });
      drawings.layer.draw(ctx, undefined, shapeScale);
    } else {
      if (state.playing) state.row = (state.row + ((now - state.clock) / 1000) * fps * state.speed) % view.rows.length;
      drawFigure(canvas, state.skeleton ? nearestPose(Math.floor(state.row)) : null, transform);
      drawings.layer.draw(ctx, transform, shapeScale);
    }
    state.clock = now;
    const row = Math.floor(state.row);
    showProgress(row);
    if (document.activeElement !== scrub) scrub.value = String(row);
    $("frame-label").textContent = `frame ${row + 1} / ${last + 1} · ${(row / fps).toFixed(2)} s`;
    box.dataset.row = String(row);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

// The drawing tools: a tool takes clicks on the frame (playback pauses), spine and head are placed
// from the pose of the frame shown; every change is saved with the swing.
function drawingTools(transform, currentRow, pause) {
  const layer = new Drawings(structuredClone(view.swing.drawings ?? []));
  const tools = { layer, tool: null };
  const status = $("draw-status");
  const save = async () => {
    status.textContent = "Saving…";
    try {
      await api(`/swings/${swingId}`, { method: "PATCH", json: { drawings: layer.shapes } });
      status.textContent = `${layer.shapes.length} drawing${layer.shapes.length === 1 ? "" : "s"} saved`;
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  };
  const choose = (tool) => {
    tools.tool = layer.tool = tools.tool === tool ? null : tool;
    layer.pending = [];
    for (const button of document.querySelectorAll("[data-tool]")) button.setAttribute("aria-pressed", String(button.dataset.tool === tools.tool));
    if (tools.tool) {
      pause();
      status.textContent = { line: "Click the two ends", angle: "Click one end, the corner, then the other end", circle: "Click the centre, then a point on the circle" }[tools.tool];
    }
  };
  tools.clicked = (point) => {
    if (layer.click(point, currentRow())) save();
  };
  for (const button of document.querySelectorAll("[data-tool]")) button.addEventListener("click", () => choose(button.dataset.tool));
  for (const button of document.querySelectorAll("[data-place]")) {
    button.addEventListener("click", () => {
      pause();
      if (layer.add(fromPose(button.dataset.place, nearestPose(currentRow()), currentRow()))) save();
      else status.textContent = "No pose on this frame to place it from";
    });
  }
  $("draw-undo").addEventListener("click", () => {
    layer.undo();
    save();
  });
  $("draw-clear").addEventListener("click", () => {
    layer.shapes = [];
    layer.pending = [];
    save();
  });
  return tools;
}

// --- the 8 event frames ------------------------------------------------------------------------

function seekStill(video, time) {
  return new Promise((resolve) => {
    video.addEventListener("seeked", resolve, { once: true });
    video.currentTime = time;
  });
}

async function eventStrip() {
  const canvases = EVENT_NAMES.map((name) => el("canvas", { width: 240, height: 320, "data-event": name }));
  $("event-strip").replaceChildren(...EVENT_NAMES.map((name, i) => el("figure", {}, canvases[i], el("figcaption", {}, eventLabel(name)))));
  const still = view.hasVideo ? el("video", { muted: true, playsinline: true, preload: "auto", src: $("clip").src }) : null;
  if (still) await new Promise((resolve) => still.addEventListener("loadeddata", resolve, { once: true }));
  const everyone = fitTransform(view.rows.filter(Boolean), 240, 320);
  for (const [i, name] of EVENT_NAMES.entries()) {
    const pose = nearestPose(view.events[name]);
    const ctx = canvases[i].getContext("2d");
    if (!still) {
      drawFigure(canvases[i], pose, everyone);
      continue;
    }
    await seekStill(still, rowTime(view.events[name]));
    // A 3:4 window around the golfer, the same for all 8 frames so they line up.
    const box = swingBox();
    ctx.fillStyle = "#14261c";
    ctx.fillRect(0, 0, 240, 320);
    const scale = Math.min(240 / box.w, 320 / box.h);
    const ox = (240 - box.w * scale) / 2, oy = (320 - box.h * scale) / 2;
    ctx.drawImage(still, box.x, box.y, box.w, box.h, ox, oy, box.w * scale, box.h * scale);
    drawSkeleton(ctx, pose, (p) => [ox + (p[0] - box.x) * scale, oy + (p[1] - box.y) * scale], { width: 2.5 });
  }
}

function swingBox() {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const row of view.rows) {
    for (const p of row ?? []) {
      if (p[2] < 0.2) continue;
      [x0, y0, x1, y1] = [Math.min(x0, p[0]), Math.min(y0, p[1]), Math.max(x1, p[0]), Math.max(y1, p[1])];
    }
  }
  const pad = 0.12 * Math.max(x1 - x0, y1 - y0);
  const x = Math.max(0, x0 - pad), y = Math.max(0, y0 - pad);
  return { x, y, w: Math.min(view.payload.width, x1 + pad) - x, h: Math.min(view.payload.height, y1 + pad) - y };
}

// --- you over the tour swings, at each event ---------------------------------------------------

// The analysis' comparison: both poses hip-centred, in units of height, so one transform fits both.
const PRO_COLORS = { left: "#8c959f", right: "#8c959f", center: "#8c959f" };

function compare() {
  const comparison = view.report.comparison;
  $("compare-card").hidden = !comparison;
  if (!comparison) return;
  const withConfidence = (pose) => pose.map((p) => [p[0], p[1], 1]);
  const transform = fitTransform([...comparison.poses, ...comparison.reference_poses].map(withConfidence), 180, 240, 0.06);
  const figures = EVENT_NAMES.map((name, i) => {
    const canvas = el("canvas", { width: 180, height: 240, "data-event": name, "aria-label": `You over the tour swings at ${eventLabel(name)}` });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#14261c";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawSkeleton(ctx, withConfidence(comparison.reference_poses[i]), transform, { width: 5, colors: PRO_COLORS });
    drawSkeleton(ctx, withConfidence(comparison.poses[i]), transform, { width: 2.5 });
    return el("figure", {}, canvas, el("figcaption", {}, eventLabel(name)));
  });
  $("compare").replaceChildren(...figures);
  $("pro-caption").textContent = `Colours: you; grey: the median of ${comparison.reference}. Hips aligned, both scaled to the same height.`;
  const differences = comparison.differences.map((d) => el("li", {}, d.text));
  $("pro-differences").replaceChildren(...(differences.length ? differences : [el("li", {}, "No joint angle differs from the tour swings' median.")]));
}

// --- the page ------------------------------------------------------------------------------------

async function show() {
  let swing;
  try {
    swing = await api(`/swings/${swingId}`);
  } catch (error) {
    if (error.status !== 404 && error.status !== 422) throw error;
    $("failed").textContent = "This swing does not exist (or was deleted).";
    $("failed").hidden = false;
    $("swing-actions").hidden = true;
    $("download").hidden = true;
    return;
  }
  view.swing = swing;
  $("swing-meta").textContent = `${formatDate(swing.swung_at)} · ${swing.source === "video" ? "video upload" : "from the camera"}`;
  $("compare-link").href = `/compare?b=${swingId}`;
  toggleButton($("favorite"), "favorite", ["☆ Favourite", "★ Favourite"]);
  keepButton();
  drillTag();
  if (swing.status === "processing") {
    $("processing").hidden = false;
    return;
  }
  if (swing.status === "failed" || swing.report === null) {
    $("failed").textContent = `The analysis failed: ${swing.error ?? "no swing found"}`;
    $("failed").hidden = false;
    return;
  }
  $("processing").hidden = true;
  view.report = swing.report;
  const { payload, rows } = await loadPoses(swingId);
  view.payload = payload;
  view.rows = rows;
  view.events = Object.fromEntries(EVENT_NAMES.map((n) => [n, swing.report.events[n] - payload.frame_offset]));
  $("analysis").hidden = false;
  const basis = swing.report.scored_metrics ? `${swing.report.scored_metrics} metrics` : "score / 100";
  scoreRing($("score"), swing.report.score, basis);
  warnings();
  facts();
  advice();
  metricsTable();
  ballFlight();
  await player();
  compare();
  await eventStrip();
  document.body.dataset.ready = "true";
}

$("delete").addEventListener("click", async () => {
  if (!confirm("Delete this swing and its analysis? This cannot be undone.")) return;
  try {
    await deleteSwing(swingId);
    location.assign("/library");
  } catch (error) {
    toast(error.message, { tone: "bad" });
  }
});
analysisEvents.addEventListener("analysis", ({ detail }) => {
  if (detail.swing_id === swingId && view.report === null) location.reload();
});
if (signedIn) show().catch(pageError);
