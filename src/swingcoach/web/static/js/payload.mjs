// The swing payload the browser sends (swingcoach.schemas.SwingPayload): COCO-17 keypoints as
// base64 of little-endian int16 (frames, 17, 3) — x, y in half pixels, confidence x 10000, and a
// row of MISSING where nobody was found.

import { roundHalfEven } from "./round.mjs";

export const MISSING = -32768;
const SCALE = [2, 2, 10000];
const MAX_FRAMES = 3600;

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function packKeypoints(rows) {
  const view = new DataView(new ArrayBuffer(rows.length * 17 * 3 * 2));
  rows.forEach((row, frame) => {
    for (let k = 0; k < 17; k++) {
      for (let c = 0; c < 3; c++) {
        const offset = ((frame * 17 + k) * 3 + c) * 2;
        const value = row === null ? MISSING : Math.max(MISSING + 1, Math.min(32767, roundHalfEven(row[k][c] * SCALE[c])));
        view.setInt16(offset, value, true);
      }
    }
  });
  return toBase64(new Uint8Array(view.buffer));
}

// base64 keypoints -> frames of 17 [x, y, conf] (null where nobody was found).
export function unpackKeypoints(text, frames) {
  const view = new DataView(fromBase64(text).buffer);
  const rows = [];
  for (let frame = 0; frame < frames; frame++) {
    if (view.getInt16(frame * 17 * 3 * 2, true) === MISSING) {
      rows.push(null);
      continue;
    }
    const row = [];
    for (let k = 0; k < 17; k++) {
      const at = (frame * 17 + k) * 3 * 2;
      row.push([0, 1, 2].map((c) => view.getInt16(at + c * 2, true) / SCALE[c]));
    }
    rows.push(row);
  }
  return rows;
}

// Poses come at the pace the model keeps up with, not at a fixed rate. The payload needs one:
// the poses go onto a regular grid at their median rate; a slot with no pose within half a step
// stays empty (MISSING) rather than being invented.
export function resample(poses, startS, endS) {
  const times = poses.map((pose) => pose.timeS);
  const steps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const step = Math.max(steps[steps.length >> 1] ?? 1 / 30, 1 / 240);
  const count = Math.min(MAX_FRAMES, Math.floor((endS - startS) / step + 1e-6) + 1);
  const rows = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const t = startS + i * step;
    while (next + 1 < poses.length && Math.abs(poses[next + 1].timeS - t) <= Math.abs(poses[next].timeS - t)) next++;
    const nearest = poses[next];
    rows.push(nearest && Math.abs(nearest.timeS - t) <= step / 2 ? nearest.keypoints : null);
  }
  return { rows, fps: 1 / step };
}

export function buildPayload({ swingId, poses, startS, endS, width, height, handedness, club = "driver", model, recordedAt }) {
  const { rows, fps } = resample(poses, startS, endS);
  return {
    schema_version: "1.0",
    swing_id: swingId,
    recorded_at: recordedAt,
    fps: Math.round(fps * 1000) / 1000,
    width,
    height,
    frames: rows.length,
    handedness: handedness || null,
    club,
    keypoints: packKeypoints(rows),
    device: `web: ${navigator.userAgent}`.slice(0, 200),
    models: { pose: model },
  };
}
