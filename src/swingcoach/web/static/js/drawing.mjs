// Drawing on a swing's frame, as a coach does on a still: lines, angles (with their value),
// circles, and a spine line and head box placed from the pose. Shapes are kept in video pixels,
// so they sit on the same spot of the clip and of the keypoint replay.

const POINTS = { line: 2, angle: 3, circle: 2 };
const COLOR = "#ffd166";
const L_SHOULDER = 5, R_SHOULDER = 6, L_HIP = 11, R_HIP = 12, HEAD = [0, 1, 2, 3, 4];
export const MAX_SHAPES = 50;

const mid = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];

// The angle at `vertex` between the rays to a and b, in degrees.
export function angleAt(a, vertex, b) {
  const u = [a[0] - vertex[0], a[1] - vertex[1]], v = [b[0] - vertex[0], b[1] - vertex[1]];
  const cos = (u[0] * v[0] + u[1] * v[1]) / Math.max(1e-9, Math.hypot(...u) * Math.hypot(...v));
  return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
}

// The spine (mid hips to mid shoulders) or a box around the head, from one pose; null if unseen.
export function fromPose(kind, pose, frame) {
  if (!pose) return null;
  if (kind === "spine") {
    return { kind, frame, points: [mid(pose[L_HIP], pose[R_HIP]), mid(pose[L_SHOULDER], pose[R_SHOULDER])] };
  }
  const head = HEAD.map((i) => pose[i]).filter((p) => p[2] > 0.2);
  if (head.length < 2) return null;
  const xs = head.map((p) => p[0]), ys = head.map((p) => p[1]);
  const size = Math.max(Math.max(...xs) - Math.min(...xs), 1) * 0.9;
  const [cx, cy] = [(Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2];
  return { kind, frame, points: [[cx - size, cy - size * 1.2], [cx + size, cy + size]] };
}

export class Drawings {
  constructor(shapes = []) {
    this.shapes = shapes;
    this.tool = null;
    this.pending = [];
  }

  // A click with the current tool: returns true when it completed a shape.
  click(point, frame) {
    if (!POINTS[this.tool] || this.shapes.length >= MAX_SHAPES) return false;
    this.pending.push(point.map((v) => Math.round(v * 10) / 10));
    if (this.pending.length < POINTS[this.tool]) return false;
    this.shapes.push({ kind: this.tool, frame, points: this.pending });
    this.pending = [];
    return true;
  }

  add(shape) {
    if (shape === null || this.shapes.length >= MAX_SHAPES) return false;
    shape.points = shape.points.map((p) => p.map((v) => Math.round(v * 10) / 10));
    this.shapes.push(shape);
    return true;
  }

  undo() {
    if (this.pending.length) this.pending = [];
    else this.shapes.pop();
  }

  draw(ctx, transform = (p) => p, scale = 1) {
    ctx.save();
    ctx.strokeStyle = COLOR;
    ctx.fillStyle = COLOR;
    ctx.lineWidth = 3 * scale;
    ctx.font = `700 ${Math.round(18 * scale)}px system-ui, sans-serif`;
    for (const shape of this.shapes) {
      const [a, b, c] = shape.points.map(transform);
      ctx.beginPath();
      if (shape.kind === "circle") {
        ctx.arc(a[0], a[1], Math.hypot(b[0] - a[0], b[1] - a[1]), 0, 2 * Math.PI);
      } else if (shape.kind === "head") {
        ctx.rect(a[0], a[1], b[0] - a[0], b[1] - a[1]);
      } else if (shape.kind === "angle") {
        ctx.moveTo(...a);
        ctx.lineTo(...b);
        ctx.lineTo(...c);
      } else {
        // A line or the spine; the spine runs on past the shoulders, where the head should stay.
        const [x, y] = shape.kind === "spine" ? [b[0] + (b[0] - a[0]) * 0.6, b[1] + (b[1] - a[1]) * 0.6] : b;
        ctx.moveTo(...a);
        ctx.lineTo(x, y);
      }
      ctx.stroke();
      if (shape.kind === "angle") {
        const value = angleAt(shape.points[0], shape.points[1], shape.points[2]);
        ctx.fillText(`${Math.round(value)}°`, b[0] + 8 * scale, b[1] - 8 * scale);
      }
    }
    for (const point of this.pending.map(transform)) {
      ctx.beginPath();
      ctx.arc(point[0], point[1], 5 * scale, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  }
}
