// Helpers shared by the pages that show swings: keypoints, thumbnails, labels, local clips.

import { api } from "./api.mjs";
import { el } from "./layout.mjs";
import * as outbox from "./outbox.mjs";
import { unpackKeypoints } from "./payload.mjs";
import { drawFigure, fitTransform } from "./skeleton.mjs";
import * as store from "./store.mjs";

const L_WRIST = 9, R_WRIST = 10;

// The swing's keypoints (as the device sent them, or as the server found them in the video).
export async function loadPoses(swingId) {
  const payload = await api(`/swings/${swingId}/payload`);
  return { payload, rows: unpackKeypoints(payload.keypoints, payload.frames) };
}

// The top of the backswing, seen from the keypoints alone: where the hands are highest.
export function topRow(rows) {
  let best = -1, bestY = Infinity;
  rows.forEach((row, i) => {
    if (row === null) return;
    const y = (row[L_WRIST][1] + row[R_WRIST][1]) / 2;
    if (y < bestY) [best, bestY] = [i, y];
  });
  return best;
}

// The swing's picture (`swing`: a summary from the API): the snapshot taken when it was made in
// this browser, else a stick figure at the top of the backswing drawn from its keypoints.
export async function thumbnail(swing, width = 210, height = 280) {
  const local = await store.get("clips", swing.id).catch(() => undefined);
  if (local?.thumbnail) {
    const url = URL.createObjectURL(local.thumbnail);
    return el("img", { src: url, alt: "Swing at its finish", onload: () => URL.revokeObjectURL(url) });
  }
  const canvas = el("canvas", { width, height, "aria-label": "Stick figure at the top of the swing" });
  drawFigure(canvas, null, null);
  if (swing.status !== "done") return canvas; // a video still being analysed has no keypoints yet
  try {
    const { rows } = await loadPoses(swing.id);
    const row = topRow(rows);
    if (row >= 0) drawFigure(canvas, rows[row], fitTransform(rows.filter(Boolean), width, height));
  } catch {
    // A thumbnail is decoration: the card works without it.
  }
  return canvas;
}

export async function deleteSwing(swingId) {
  await api(`/swings/${swingId}`, { method: "DELETE" });
  await store.remove("clips", swingId).catch(() => {});
}

// "Keep video": kept past the retention period, and a clip recorded in this browser goes to the
// server (through the outbox: resumable, retried), so every device of the golfer plays it.
// Returns the updated swing and whether an upload was queued.
export async function keepVideo(swing, keep) {
  const updated = await api(`/swings/${swing.id}`, { method: "PATCH", json: { keep } });
  const local = keep && !swing.has_video ? await store.get("clips", swing.id).catch(() => undefined) : undefined;
  if (local?.clip) await outbox.enqueue(swing.id, "clip", { blob: local.clip });
  return { swing: updated, uploading: Boolean(local?.clip) };
}

export function formatBytes(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}

// "12.3 MB of 500 MB used (4 clips)"
export async function storageText() {
  const usage = await api("/users/me/storage");
  const quota = usage.quota_bytes === null ? "" : ` of ${formatBytes(usage.quota_bytes)}`;
  return `Clips on the server: ${formatBytes(usage.used_bytes)}${quota} used (${usage.clips} clip${usage.clips === 1 ? "" : "s"})`;
}
