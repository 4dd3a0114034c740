// The student pose model in the browser (onnxruntime-web, wasm), with the same person ROI
// tracking, heatmap decoding and smoothing as swingcoach/pose/student.py and pose/tracking.py.
//
// Person ROI: the previous frame's keypoints give the next crop (hip-centred, torso-aligned square).
// With no track — the first frame, or once the golfer is lost — there is no person detector in the
// browser: the crop is the on-screen guidance box where the golfer is asked to stand.

import * as ort from "../vendor/onnxruntime-web/ort.wasm.min.mjs";

const L_SHOULDER = 5, R_SHOULDER = 6, L_HIP = 11, R_HIP = 12;
const MIN_TRACK_SHARE = 0.4; // a golfer in the box gets an ROI of at least this share of the box's

// Where the golfer should stand: centred, most of the height, wide enough for the club
// (the same box as the device's live view, swingcoach/edge/liveview.py).
export function guidanceBox(width, height) {
  const boxW = Math.min(0.75 * height, 0.9 * width);
  const x0 = (width - boxW) / 2;
  return [x0, 0.04 * height, x0 + boxW, 0.96 * height];
}

export function inBox(keypoints, [x0, y0, x1, y1]) {
  const seen = keypoints.filter((p) => p[2] > 0.3);
  if (!seen.length) return false;
  const inside = seen.filter((p) => p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1).length;
  return inside / seen.length >= 0.9;
}

// The set-up check before the first swing, from one pose: the whole body in the picture, at a
// distance where it fills most of the height, and the camera at about hip height (the hips near
// the middle of the picture). Each check: ok and what to do.
const NOSE = 0, HIPS = [11, 12], ANKLES = [15, 16], WRISTS = [9, 10];
export function framing(keypoints, width, height) {
  if (keypoints === null) return { body: { ok: false, text: "No one in view: step in front of the camera" } };
  const seen = (i) => keypoints[i][2] > 0.3 && keypoints[i][0] >= 0 && keypoints[i][0] <= width && keypoints[i][1] >= 0 && keypoints[i][1] <= height;
  const whole = [NOSE, ...HIPS, ...ANKLES, ...WRISTS].every(seen);
  const feet = (keypoints[ANKLES[0]][1] + keypoints[ANKLES[1]][1]) / 2;
  const tall = (feet - keypoints[NOSE][1]) / height;
  const hips = (keypoints[HIPS[0]][1] + keypoints[HIPS[1]][1]) / 2 / height;
  return {
    body: whole ? { ok: true, text: "Whole body in view" } : { ok: false, text: "Head, hands or feet out of view: step back or turn the camera" },
    distance: !whole ? { ok: false, text: "Distance: fix the view first" }
      : tall > 0.85 ? { ok: false, text: "Too close: step back, a club's swing needs room" }
      : tall < 0.4 ? { ok: false, text: "Too far: come closer, or move the camera closer" }
      : { ok: true, text: "Good distance" },
    height: !whole ? { ok: false, text: "Camera height: fix the view first" }
      : hips < 0.4 ? { ok: false, text: "Camera too low: raise it to about hip height" }
      : hips > 0.68 ? { ok: false, text: "Camera too high: lower it to about hip height" }
      : { ok: true, text: "Camera at about hip height" },
  };
}

// A rotated square: centre, side and clockwise rotation (radians, y down), as pose/roi.py.
function alignedRoi(center, scalePoint, scale) {
  const dx = scalePoint[0] - center[0], dy = scalePoint[1] - center[1];
  let angle = Math.PI / 2 - Math.atan2(-dy, dx);
  angle -= 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
  return { cx: center[0], cy: center[1], size: 2 * Math.hypot(dx, dy) * scale, angle };
}

function mid(points, a, b) {
  return [(points[a][0] + points[b][0]) / 2, (points[a][1] + points[b][1]) / 2];
}

export class OneEuroFilter {
  // Casiez et al. 2012, as pose/smoothing.py: steady at address, nearly unfiltered at impact.
  constructor(minCutoff = 0.3, beta = 40.0, dCutoff = 1.0) {
    Object.assign(this, { minCutoff, beta, dCutoff });
    this.reset();
  }

  reset() {
    this.x = null;
    this.dx = null;
    this.t = null;
  }

  static alpha(cutoff, dt) {
    return 1 / (1 + 1 / (2 * Math.PI * cutoff) / dt);
  }

  apply(values, timeS, scale) {
    const x = values.map((v) => v / scale);
    if (this.x === null || timeS <= this.t) {
      [this.x, this.dx, this.t] = [x, x.map(() => 0), timeS];
      return values.slice();
    }
    const dt = timeS - this.t;
    this.t = timeS;
    const aD = OneEuroFilter.alpha(this.dCutoff, dt);
    const out = x.map((value, i) => {
      const fresh = Number.isNaN(this.x[i]) || Number.isNaN(value);
      const dx = fresh ? 0 : (value - this.x[i]) / dt;
      this.dx[i] = fresh ? 0 : this.dx[i] + aD * (dx - this.dx[i]);
      const cutoff = this.minCutoff + this.beta * Math.abs(this.dx[i]);
      return fresh ? value : this.x[i] + OneEuroFilter.alpha(cutoff, dt) * (value - this.x[i]);
    });
    this.x = out;
    return out.map((v) => v * scale);
  }
}

// Integral regression: the expected position under each heatmap's softmax, as student.py.
export function decodeHeatmaps(data, joints, h, w) {
  const uv = [];
  for (let j = 0; j < joints; j++) {
    const offset = j * h * w;
    let max = -Infinity;
    for (let i = 0; i < h * w; i++) max = Math.max(max, data[offset + i]);
    let total = 0, u = 0, v = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = Math.exp(data[offset + y * w + x] - max);
        total += p;
        u += p * ((x + 0.5) / w);
        v += p * ((y + 0.5) / h);
      }
    }
    uv.push([u / total, v / total]);
  }
  return uv;
}

// The vendored onnxruntime-web (wasm only). `swingcoach bench browser-pose` passes the npm package's
// full build instead, to measure the WebGL and WebGPU backends.
const VENDORED = { ort, wasmPaths: new URL("../vendor/onnxruntime-web/", import.meta.url).href, executionProviders: ["wasm"] };

export class BrowserPose {
  // model: {url, inputSize, presenceThreshold, bodyExtent, roiScale, version}
  static async load(model, runtime = VENDORED) {
    runtime.ort.env.wasm.wasmPaths = runtime.wasmPaths;
    // Threads need cross-origin isolation (the pages send COOP/COEP); one core stays for the page.
    runtime.ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency - 1)) : 1;
    const session = await runtime.ort.InferenceSession.create(model.url, {
      executionProviders: runtime.executionProviders,
      graphOptimizationLevel: "all",
    });
    return new BrowserPose(session, model, runtime.ort);
  }

  constructor(session, model, runtime) {
    this.session = session;
    this.model = model;
    this.ort = runtime;
    this.size = model.inputSize;
    this.canvas = new OffscreenCanvas(this.size, this.size);
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    this.input = new Float32Array(this.size * this.size * 3);
    this.filter = new OneEuroFilter();
    this.threads = runtime.env.wasm.numThreads;
    this.reset();
  }

  reset() {
    this.roi = null;
    this.filter.reset();
  }

  // The crop a golfer standing in the guidance box would get: hips at its centre, the body
  // reaching to its top and bottom edges.
  guidanceRoi(width, height) {
    const [x0, y0, x1, y1] = guidanceBox(width, height);
    const center = [(x0 + x1) / 2, (y0 + y1) / 2];
    return alignedRoi(center, [center[0], center[1] - (this.model.bodyExtent * (y1 - y0)) / 2], this.model.roiScale);
  }

  roiFromKeypoints(keypoints) {
    const hips = mid(keypoints, L_HIP, R_HIP);
    const shoulders = mid(keypoints, L_SHOULDER, R_SHOULDER);
    const up = [shoulders[0] - hips[0], shoulders[1] - hips[1]];
    const torso = Math.hypot(up[0], up[1]);
    if (!Number.isFinite(torso) || torso < 1e-3) return null;
    // A keypoint drawn into the background (beyond maxReachTorsos) must not widen the next crop.
    const reach = keypoints.map((p) => Math.hypot(p[0] - hips[0], p[1] - hips[1])).filter((r) => r <= this.model.maxReachTorsos * torso);
    const radius = this.model.bodyExtent * Math.max(...reach);
    return alignedRoi(hips, [hips[0] + (up[0] / torso) * radius, hips[1] + (up[1] / torso) * radius], this.model.roiScale);
  }

  // The ROI's pixels as the model's input: RGB in [0, 1], (1, size, size, 3); outside the frame is black.
  crop(source, roi) {
    const { size, ctx } = this;
    const k = size / roi.size, cos = Math.cos(roi.angle), sin = Math.sin(roi.angle);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    // OpenCV's warpAffine (which the Python crop uses) puts pixel centres at whole numbers, the
    // canvas at halves: the half-pixel terms make this crop sample where OpenCV's does.
    ctx.setTransform(k * cos, -k * sin, k * sin, k * cos,
      size / 2 - k * (cos * roi.cx + sin * roi.cy) + 0.5 - 0.5 * k * (cos + sin),
      size / 2 - k * (-sin * roi.cx + cos * roi.cy) + 0.5 - 0.5 * k * (cos - sin));
    ctx.imageSmoothingQuality = "low";
    ctx.drawImage(source, 0, 0);
    const rgba = ctx.getImageData(0, 0, size, size).data;
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      this.input[j] = rgba[i] / 255;
      this.input[j + 1] = rgba[i + 1] / 255;
      this.input[j + 2] = rgba[i + 2] / 255;
    }
    return new this.ort.Tensor("float32", this.input, [1, size, size, 3]);
  }

  // The model on one ROI: 17 [x, y, visibility] in image pixels, whether or not anyone is there.
  async infer(source, roi) {
    const outputs = await this.session.run({ [this.session.inputNames[0]]: this.crop(source, roi) });
    // Told apart by rank, as student.py does.
    const tensors = Object.values(outputs);
    const heatmaps = tensors.find((t) => t.dims.length === 4);
    const visibility = tensors.find((t) => t.dims.length === 2).data;
    const [, joints, h, w] = heatmaps.dims;
    const cos = Math.cos(roi.angle), sin = Math.sin(roi.angle);
    return decodeHeatmaps(heatmaps.data, joints, h, w).map(([u, v], j) => {
      const lx = (u - 0.5) * roi.size, ly = (v - 0.5) * roi.size;
      return [lx * cos - ly * sin + roi.cx, lx * sin + ly * cos + roi.cy, 1 / (1 + Math.exp(-visibility[j]))];
    });
  }

  async estimateIn(source, roi) {
    const keypoints = await this.infer(source, roi);
    const body = keypoints.slice(L_SHOULDER).map((p) => p[2]);
    if (body.reduce((a, b) => a + b, 0) / body.length < this.model.presenceThreshold) return null;
    const next = this.roiFromKeypoints(keypoints);
    return next === null ? null : { keypoints, next };
  }

  // One video frame -> 17 [x, y, confidence] in video pixels, or null when nobody is found.
  async estimate(source, width, height, timeS) {
    const guide = this.guidanceRoi(width, height);
    // With no person detector to fall back on, a track that drifted off the golfer (out of the box,
    // or shrunk onto a body part) starts again from the guidance box.
    const [x0, y0, x1, y1] = guidanceBox(width, height);
    const drifted = this.roi !== null && (this.roi.size < MIN_TRACK_SHARE * guide.size
      || this.roi.cx < x0 || this.roi.cx > x1 || this.roi.cy < y0 || this.roi.cy > y1);
    if (drifted) this.reset();
    let result = this.roi === null ? null : await this.estimateIn(source, this.roi);
    if (result === null) result = await this.estimateIn(source, guide);
    if (result === null) {
      this.reset();
      return null;
    }
    this.roi = result.next;
    const flat = this.filter.apply(result.keypoints.flatMap((p) => [p[0], p[1]]), timeS, this.roi.size);
    return result.keypoints.map((p, j) => [flat[2 * j], flat[2 * j + 1], p[2]]);
  }
}
