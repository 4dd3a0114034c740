// Runs the browser's swing finder (static/js/swing-detector.mjs) over a pose sequence, the way
// swingcoach.swing.detect.find_swings runs the Python one. stdin: JSON {fps, frame_indices,
// keypoints: T x 17 x 3 with null for NaN}; stdout: JSON list of the swings found.
import { readFileSync } from "node:fs";
import { SwingDetector } from "../../src/swingcoach/web/static/js/swing-detector.mjs";

const { fps, frame_indices: indices, keypoints } = JSON.parse(readFileSync(0, "utf8"));
const detector = new SwingDetector();
const found = [];
keypoints.forEach((frame, row) => {
  const pose = frame.map((point) => point.map((v) => (v === null ? NaN : v)));
  const nobody = pose.every((point) => Number.isNaN(point[0]));
  const segment = detector.update(indices[row], row / fps, nobody ? null : pose);
  if (segment !== null) found.push(segment);
});
if (keypoints.length) {
  const segment = detector.flush();
  if (segment !== null) found.push(segment);
}
process.stdout.write(JSON.stringify(found));
