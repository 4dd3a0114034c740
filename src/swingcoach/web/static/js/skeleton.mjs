// Drawing COCO-17 skeletons (same edges as swingcoach/pose/skeleton.py).

export const KEYPOINT_NAMES = [
  "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
  "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle",
];
export const EDGES = [
  [5, 6], [5, 7], [7, 9], [6, 8], [8, 10], [5, 11], [6, 12], [11, 12],
  [11, 13], [13, 15], [12, 14], [14, 16], [0, 1], [0, 2], [1, 3], [2, 4],
];
const LEFT = new Set([1, 3, 5, 7, 9, 11, 13, 15]);
const RIGHT = new Set([2, 4, 6, 8, 10, 12, 14, 16]);
export const COLORS = { left: "#4fc3f7", right: "#ffb74d", center: "#e8f5e9" };
const MIN_CONFIDENCE = 0.2;

function visible(point) {
  return point && !Number.isNaN(point[0]) && !(point[2] < MIN_CONFIDENCE);
}

function edgeColor(a, b, colors) {
  if (LEFT.has(a) && LEFT.has(b)) return colors.left;
  if (RIGHT.has(a) && RIGHT.has(b)) return colors.right;
  return colors.center;
}

// keypoints: 17 [x, y, conf]; `transform` maps a keypoint to canvas pixels.
export function drawSkeleton(ctx, keypoints, transform = (p) => p, { width = 3, colors = COLORS } = {}) {
  if (!keypoints) return;
  const at = keypoints.map((p) => (visible(p) ? transform(p) : null));
  ctx.save();
  ctx.lineCap = "round";
  ctx.lineWidth = width;
  for (const [a, b] of EDGES) {
    if (!at[a] || !at[b]) continue;
    ctx.strokeStyle = edgeColor(a, b, colors);
    ctx.beginPath();
    ctx.moveTo(at[a][0], at[a][1]);
    ctx.lineTo(at[b][0], at[b][1]);
    ctx.stroke();
  }
  ctx.fillStyle = colors.center;
  for (const point of at) {
    if (!point) continue;
    ctx.beginPath();
    ctx.arc(point[0], point[1], width * 0.9, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

// A transform that fits a set of poses (e.g. a whole swing) into a w x h box, keeping the aspect.
export function fitTransform(poses, w, h, margin = 0.08) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const pose of poses) {
    for (const p of pose ?? []) {
      if (!visible(p)) continue;
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
      y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    }
  }
  if (!Number.isFinite(x0)) return Object.assign((p) => p, { invert: (q) => q });
  const scale = Math.min((w * (1 - 2 * margin)) / Math.max(x1 - x0, 1e-6), (h * (1 - 2 * margin)) / Math.max(y1 - y0, 1e-6));
  const ox = (w - (x1 - x0) * scale) / 2, oy = (h - (y1 - y0) * scale) / 2;
  // `invert`: canvas pixels back to keypoint coordinates (where a click on the replay lands).
  return Object.assign((p) => [ox + (p[0] - x0) * scale, oy + (p[1] - y0) * scale], {
    invert: (q) => [x0 + (q[0] - ox) / scale, y0 + (q[1] - oy) / scale],
  });
}

// A stick figure on a plain background: thumbnails and replays when no video is at hand.
export function drawFigure(canvas, pose, transform, { background = "#14261c", width } = {}) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  drawSkeleton(ctx, pose, transform, { width: width ?? Math.max(2, canvas.width / 80) });
}
