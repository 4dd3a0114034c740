// BlazePose in the browser: MediaPipe's PoseLandmarker (@mediapipe/tasks-vision, vendored) on the
// pose package's BlazePose models, the ones `swingcoach analyze` runs by default (blazepose-full),
// so the browser's keypoints are those the CLI and the server get from the same video.
//
// PoseLandmarker brings its own person detector and frame-to-frame tracking (video mode): no
// guidance-box crop is needed to find the golfer.

import { PoseLandmarker } from "../vendor/mediapipe-tasks-vision/vision_bundle.mjs";

// COCO-17 from BlazePose's 33 landmarks (swingcoach/pose/skeleton.py BLAZEPOSE_TO_COCO).
const TO_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];
const WASM = new URL("../vendor/mediapipe-tasks-vision/", import.meta.url).href;

export class BlazePoseBrowser {
  // model: {url, version}; delegate: "CPU" (XNNPACK in wasm) or "GPU" (WebGL).
  static async load(model, delegate = "CPU") {
    // The fileset is named outright: FilesetResolver would pick the non-SIMD wasm on a browser
    // without SIMD, which is not vendored.
    const fileset = { wasmLoaderPath: `${WASM}vision_wasm_internal.js`, wasmBinaryPath: `${WASM}vision_wasm_internal.wasm` };
    const landmarker = await PoseLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: model.url, delegate },
      runningMode: "VIDEO",
      numPoses: 1,
    });
    return new BlazePoseBrowser(landmarker, delegate);
  }

  constructor(landmarker, delegate) {
    this.landmarker = landmarker;
    this.delegate = delegate;
    this.threads = 1; // the tasks-vision wasm is single-threaded
    this.world = null;
    this.lastMs = -Infinity;
  }

  // PoseLandmarker tracks by itself and only needs timestamps that keep increasing.
  reset() {
    this.world = null;
  }

  // One video frame -> 17 [x, y, visibility] in video pixels, or null when nobody is found; the
  // world landmarks (metres, hip-centred) of the same keypoints are kept in `world`.
  estimate(source, width, height, timeS) {
    this.lastMs = Math.max(timeS * 1000, this.lastMs + 1);
    const result = this.landmarker.detectForVideo(source, this.lastMs);
    const [landmarks] = result.landmarks;
    if (!landmarks) {
      this.world = null;
      return null;
    }
    this.world = TO_COCO.map((i) => [result.worldLandmarks[0][i].x, result.worldLandmarks[0][i].y, result.worldLandmarks[0][i].z]);
    return TO_COCO.map((i) => [landmarks[i].x * width, landmarks[i].y * height, landmarks[i].visibility]);
  }
}
