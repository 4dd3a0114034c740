// Practice: the camera, a pose model (BlazePose by default, the student on request) and the swing
// finder, all in the browser. Each swing is cut (keypoints + a clip with pre-roll), kept in this
// browser and queued for upload.

import { config, requireLogin } from "../api.mjs";
import { BlazePoseBrowser } from "../blazepose.mjs";
import { analysisEvents, el, fitAspect, formatScore, scoreTone, setupLayout, toast } from "../layout.mjs";
import * as outbox from "../outbox.mjs";
import { buildPayload } from "../payload.mjs";
import { BrowserPose, framing, guidanceBox, inBox } from "../pose.mjs";
import { ClipRing } from "../recorder.mjs";
import { drawSkeleton } from "../skeleton.mjs";
import * as store from "../store.mjs";
import { State, SwingDetector } from "../swing-detector.mjs";

setupLayout();
requireLogin();

const poseModels = config().pose;
const MODEL_KEY = "swingcoach.poseModel";
const $ = (id) => document.getElementById(id);
const video = $("camera"), overlay = $("overlay"), stage = $("stage");
const POSE_HISTORY_S = 15; // longer than any swing the finder accepts
const SAVED_MESSAGE_S = 2.5;
const THUMBNAIL_HEIGHT = 240;

// Figures the page exposes (and the browser test reads).
const stats = { poseFps: 0, inferenceMs: null, threads: null, model: null, frames: 0, posed: 0, swings: [] };
window.swingcoach = stats;

// `run` counts camera starts: a frame callback of an earlier start stops itself.
// `model` is the one `pose` runs (its version goes into the payload).
let pose = null, model = null, stream = null, detector = null, ring = null, run = 0, running = false;
let poses = [], rateTimes = [], inferenceTimes = [], thumbnail = null, savedAt = -Infinity;

// A live region: screen readers announce each new prompt, so it is only written when it changes.
function setMessage(text, tone) {
  if ($("message").textContent !== text) $("message").textContent = text;
  $("message").dataset.tone = tone;
}

function guidance(keypoints, boxOk, now) {
  if (now - savedAt < SAVED_MESSAGE_S) return ["Swing saved", "good"];
  if (keypoints === null) return ["Step into the frame", "bad"];
  if (!boxOk) return ["Step into the box", "bad"];
  return {
    [State.IDLE]: ["Take your address and hold still", "warn"],
    [State.ADDRESS]: ["Address — swing when ready", "good"],
    [State.SWING]: ["Swing", "good"],
    [State.FINISH]: ["Hold your finish", "good"],
  }[detector.state];
}

function showRate(now) {
  rateTimes.push(now);
  while (rateTimes[0] < now - 1) rateTimes.shift();
  stats.poseFps = rateTimes.length > 1 ? (rateTimes.length - 1) / (now - rateTimes[0]) : 0;
  const sorted = [...inferenceTimes].sort((a, b) => a - b);
  stats.inferenceMs = sorted[sorted.length >> 1] ?? null;
  $("pose-fps").textContent = `pose ${stats.poseFps.toFixed(1)} fps · ${stats.inferenceMs?.toFixed(0) ?? "–"} ms`;
  $("pose-fps").dataset.value = stats.poseFps.toFixed(2);
}

function draw(keypoints, message, tone) {
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  const [x0, y0, x1, y1] = guidanceBox(overlay.width, overlay.height);
  ctx.lineWidth = Math.max(2, overlay.width / 200);
  ctx.strokeStyle = { good: "#43a047", warn: "#ffb300", bad: "#e53935" }[tone];
  ctx.setLineDash([12, 8]);
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.setLineDash([]);
  drawSkeleton(ctx, keypoints, undefined, { width: Math.max(2, overlay.width / 160) });
  setMessage(message, tone);
}

async function snapshot(keypoints) {
  const scale = THUMBNAIL_HEIGHT / video.videoHeight;
  const canvas = new OffscreenCanvas(Math.round(video.videoWidth * scale), THUMBNAIL_HEIGHT);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  drawSkeleton(ctx, keypoints, (p) => [p[0] * scale, p[1] * scale], { width: 2 });
  return canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
}

function listItem(swing) {
  const status = el("span", { class: "status", "data-status": "queued" }, "uploading…");
  const item = el("li", { "data-swing-id": swing.swingId },
    el("span", { class: "when" }, new Date(swing.recordedAt).toLocaleTimeString()),
    el("span", { class: "score", "data-tone": "none" }, "–"), status);
  $("session-empty").hidden = true;
  $("swing-list").prepend(item);
  return item;
}

function updateItem(swingId, { status, text, score, href }) {
  const item = document.querySelector(`#swing-list [data-swing-id="${swingId}"]`);
  const swing = stats.swings.find((s) => s.swingId === swingId);
  if (!item || !swing) return;
  swing.status = status;
  const label = item.querySelector(".status");
  label.dataset.status = status;
  label.replaceChildren(href ? el("a", { href }, text) : text);
  if (score !== undefined) {
    swing.score = score;
    const badge = item.querySelector(".score");
    badge.textContent = formatScore(score);
    badge.dataset.tone = scoreTone(score);
  }
}

async function saveSwing(segment, clipTaken) {
  const swingId = crypto.randomUUID();
  const recordedAt = new Date(performance.timeOrigin + segment.startTimeS * 1000).toISOString();
  const inSwing = poses.filter((p) => p.timeS >= segment.startTimeS && p.timeS <= segment.endTimeS);
  const payload = buildPayload({
    swingId,
    poses: inSwing,
    startS: segment.startTimeS,
    endS: segment.endTimeS,
    width: video.videoWidth,
    height: video.videoHeight,
    handedness: $("handedness").value,
    club: $("club").value,
    model: model.version,
    recordedAt,
  });
  const swing = {
    swingId,
    recordedAt,
    durationS: segment.endTimeS - segment.startTimeS,
    frames: payload.frames,
    fps: payload.fps,
    posedFrames: inSwing.length,
    // Seconds from the start of the cut to the finder's landmarks.
    landmarksS: Object.fromEntries(Object.entries(segment.times).map(([k, t]) => [k, t - segment.startTimeS])),
    status: "queued",
    score: null,
  };
  stats.swings.push(swing);
  localStorage.setItem("swingcoach.practised", "1");
  listItem(swing);
  const clip = await clipTaken;
  await store.put("clips", {
    swingId,
    clip: clip?.blob ?? null,
    clipType: clip?.type ?? null,
    // Where the payload's first row is on the clip's own clock.
    clipOffsetS: clip ? segment.startTimeS - clip.startS : null,
    thumbnail,
    createdAt: Date.now(),
  });
  await outbox.enqueue(swingId, "payload", { body: JSON.stringify(payload) });
  if (clip && $("upload-clip").checked) {
    await outbox.enqueue(swingId, "clip", { blob: clip.blob });
  }
}

async function onFrame(started, now, metadata) {
  if (!running || started !== run) return;
  const timeS = now / 1000;
  stats.frames = metadata.presentedFrames;
  const before = performance.now();
  const keypoints = await pose.estimate(video, video.videoWidth, video.videoHeight, timeS);
  inferenceTimes.push(performance.now() - before);
  if (inferenceTimes.length > 30) inferenceTimes.shift();
  if (!running || started !== run) return;
  stats.posed += 1;
  showRate(timeS);
  if (keypoints !== null) poses.push({ timeS, keypoints });
  while (poses.length && poses[0].timeS < timeS - POSE_HISTORY_S) poses.shift();

  const previousState = detector.state;
  const segment = detector.update(stats.posed, timeS, keypoints);
  if (segment !== null) {
    savedAt = timeS;
    // The clip is taken before the ring moves on (it would take the detector's return to idle
    // for an abandoned swing).
    saveSwing(segment, ring.take()).catch((error) => toast(`Could not save the swing: ${error.message}`, { tone: "bad" }));
  }
  ring.tick(timeS, detector.swingStartS);
  if (detector.state === State.FINISH && previousState !== State.FINISH) {
    thumbnail = null;
    snapshot(keypoints).then((blob) => (thumbnail = blob));
  }
  $("detector-state").textContent = detector.state;
  $("detector-state").dataset.value = detector.state;
  showFraming(keypoints, timeS);
  const boxOk = keypoints !== null && inBox(keypoints, guidanceBox(video.videoWidth, video.videoHeight));
  draw(keypoints, ...guidance(keypoints, boxOk, timeS));
  video.requestVideoFrameCallback((...args) => onFrame(started, ...args));
}

// The set-up checks, refreshed twice a second (a live region: only changes are announced).
let framedAt = -Infinity;
function showFraming(keypoints, timeS) {
  if (timeS - framedAt < 0.5) return;
  framedAt = timeS;
  const checks = Object.values(framing(keypoints, video.videoWidth, video.videoHeight));
  const text = checks.map((c) => `${c.ok}${c.text}`).join("|");
  if ($("framing").dataset.text === text) return;
  $("framing").dataset.text = text;
  $("framing").dataset.ok = String(checks.every((c) => c.ok));
  $("framing").replaceChildren(...checks.map((c) => el("li", { "data-ok": String(c.ok) }, `${c.ok ? "✓" : "✗"} ${c.text}`)));
}

function cameraGuide() {
  for (const [view, metrics] of Object.entries(config().viewMetrics)) {
    $(`guide-${view}`).replaceChildren(...metrics.filter((m) => m.measured).map((m) => el("li", {}, m.label)));
  }
  // Open for a golfer's first sessions, folded away once they have practised.
  $("camera-guide").open = !localStorage.getItem("swingcoach.practised");
}
cameraGuide();

function chosenModel() {
  const id = $("pose-model").value;
  return poseModels.models[id] ? id : poseModels.default;
}

async function loadModel() {
  if (pose !== null) return pose;
  model = poseModels.models[chosenModel()];
  $("model-status").textContent = "Pose model: loading…";
  const tasks = model.runtime === "tasks-vision";
  pose = tasks ? await BlazePoseBrowser.load(model) : await BrowserPose.load(model);
  stats.threads = pose.threads;
  stats.model = model.version;
  const threads = `${pose.threads} thread${pose.threads > 1 ? "s" : ""}`;
  $("model-status").textContent = `Pose model: ${model.version} (${tasks ? "MediaPipe tasks-vision" : "onnxruntime-web"}, wasm, ${threads}).`;
  return pose;
}

function listModels() {
  const saved = localStorage.getItem(MODEL_KEY);
  const selected = poseModels.models[saved] ? saved : poseModels.default;
  $("pose-model").replaceChildren(...Object.entries(poseModels.models).map(([id, m]) =>
    el("option", { value: id, selected: id === selected }, m.label)));
}

// Device names are readable only once the camera is allowed: the list appears after the first start.
async function listCameras(current) {
  const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  const active = current.getVideoTracks()[0]?.getSettings().deviceId;
  $("camera-choice").replaceChildren(...cameras.map((camera, i) =>
    el("option", { value: camera.deviceId, selected: camera.deviceId === active }, camera.label || `Camera ${i + 1}`)));
  $("camera-choice-label").hidden = cameras.length < 2;
}

async function start() {
  $("start").disabled = true;
  try {
    setMessage("Starting the camera…", "warn");
    const chosen = $("camera-choice").value;
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        width: { ideal: 1280 },
        height: { ideal: 720 },
        frameRate: { ideal: 30 },
        ...(chosen ? { deviceId: { exact: chosen } } : {}),
      },
    });
    await listCameras(stream);
    video.srcObject = stream;
    await video.play();
    overlay.width = video.videoWidth;
    overlay.height = video.videoHeight;
    fitAspect(stage, video.videoWidth, video.videoHeight);
    await loadModel();
    pose.reset();
    detector = new SwingDetector();
    ring = new ClipRing(stream, detector.s.preRollS);
    poses = [];
    rateTimes = [];
    running = true;
    const started = ++run;
    $("stop").hidden = false;
    $("start").hidden = true;
    video.requestVideoFrameCallback((...args) => onFrame(started, ...args));
  } catch (error) {
    stop();
    setMessage(`Camera or model unavailable: ${error.message}`, "bad");
  } finally {
    $("start").disabled = false;
  }
}

function stop() {
  running = false;
  ring?.stop();
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = null;
  video.srcObject = null;
  overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  $("stop").hidden = true;
  $("start").hidden = false;
  $("detector-state").textContent = "off";
  $("detector-state").dataset.value = "off";
  setMessage("Camera off.", "info");
}

outbox.events.addEventListener("delivered", ({ detail: { item, result } }) => {
  if (item.kind !== "payload") {
    toast("Clip uploaded: the server analyses it and lets you know.", { tone: "info" });
    return;
  }
  updateItem(item.swingId, { status: "analysed", text: "see analysis", score: result.score, href: `/swings/${item.swingId}` });
});
outbox.events.addEventListener("retry", ({ detail: { item } }) => {
  if (item.kind === "payload") updateItem(item.swingId, { status: "retrying", text: `retrying (${item.error})` });
});
outbox.events.addEventListener("failed", ({ detail: { item } }) => {
  if (item.kind === "payload") updateItem(item.swingId, { status: "failed", text: `not accepted: ${item.error}` });
});
analysisEvents.addEventListener("analysis", ({ detail }) => {
  if (detail.event === "analysis.complete" && detail.swing_id) {
    updateItem(detail.swing_id, { status: "analysed", text: "see analysis", score: detail.score, href: `/swings/${detail.swing_id}` });
  }
});

listModels();
$("start").addEventListener("click", start);
$("pose-model").addEventListener("change", () => {
  localStorage.setItem(MODEL_KEY, chosenModel());
  pose = null;
  if (!running) return;
  stop();
  start();
});
$("camera-choice").addEventListener("change", () => {
  if (!running) return;
  stop();
  start();
});
$("stop").addEventListener("click", stop);
