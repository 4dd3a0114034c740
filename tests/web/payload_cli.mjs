// Packs poses the way the practice page does (static/js/payload.mjs). stdin: JSON {poses: [{timeS,
// keypoints: 17 x 3 | null}], startS, endS}; stdout: JSON {fps, frames, keypoints (base64)}.
import { readFileSync } from "node:fs";
import { packKeypoints, resample } from "../../src/swingcoach/web/static/js/payload.mjs";

const { poses, startS, endS } = JSON.parse(readFileSync(0, "utf8"));
const { rows, fps } = resample(poses, startS, endS);
process.stdout.write(JSON.stringify({ fps, frames: rows.length, keypoints: packKeypoints(rows) }));
