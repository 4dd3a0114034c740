// The browser half of `swingcoach bench browser-pose` (bench/browser_pose.py serves it at
// /bench/harness.mjs): loads one candidate pose model on one backend, feeds it a video's frames in
// sequence, and runs it on a camera the way the practice page does.

const NPM = "/bench/npm/";
const TO_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.append(script);
  });
}

// The legacy MediaPipe Pose solution (@mediapipe/pose): one graph, its wasm and models in the package.
class LegacyPose {
  static async load(complexity) {
    await loadScript(`${NPM}@mediapipe/pose/pose.js`);
    const solution = new self.Pose({ locateFile: (file) => `${NPM}@mediapipe/pose/${file}` });
    solution.setOptions({ modelComplexity: complexity, smoothLandmarks: true, enableSegmentation: false });
    const pose = new LegacyPose(solution);
    solution.onResults((results) => (pose.results = results));
    await solution.initialize();
    return pose;
  }

  constructor(solution) {
    this.solution = solution;
    this.results = null;
    this.world = null;
    this.threads = 1;
  }

  async estimate(source, width, height, timeS) {
    this.results = null;
    await this.solution.send({ image: source }, timeS * 1000);
    const landmarks = this.results?.poseLandmarks;
    const world = this.results?.poseWorldLandmarks;
    this.world = world ? TO_COCO.map((i) => [world[i].x, world[i].y, world[i].z]) : null;
    if (!landmarks) return null;
    return TO_COCO.map((i) => [landmarks[i].x * width, landmarks[i].y * height, landmarks[i].visibility]);
  }
}

// candidate: {runtime: "onnxruntime-web" | "tasks-vision" | "mediapipe-pose", backend, model}
export async function load(candidate) {
  const { runtime, backend, model } = candidate;
  if (runtime === "onnxruntime-web") {
    const { BrowserPose } = await import("/static/js/pose.mjs");
    if (backend === "wasm") return BrowserPose.load(model);
    // The vendored build is wasm only; WebGL and WebGPU come with the npm package's full build.
    const ort = await import(`${NPM}onnxruntime-web/dist/ort.all.min.mjs`);
    return BrowserPose.load(model, { ort, wasmPaths: `${NPM}onnxruntime-web/dist/`, executionProviders: [backend] });
  }
  if (runtime === "tasks-vision") {
    const { BlazePoseBrowser } = await import("/static/js/blazepose.mjs");
    return BlazePoseBrowser.load(model, backend === "wasm" ? "CPU" : "GPU");
  }
  return LegacyPose.load(model.complexity);
}

// Frees a model before the next is loaded into the same page.
export async function release(pose) {
  pose.landmarker?.close();
  await pose.session?.release();
  await pose.solution?.close();
}

async function frameBitmap(video, index, width, height) {
  const response = await fetch(`/bench/frame/${video}/${index}`);
  const pixels = new Uint8ClampedArray(await response.arrayBuffer());
  return createImageBitmap(new ImageData(pixels, width, height));
}

// A video's frames in sequence: keypoints (or null) and ms per frame. Stops early once `untilMs`
// (performance.now()) has passed.
export async function runFrames(pose, { video, frames, width, height, fps, untilMs }) {
  const keypoints = [], ms = [];
  let world = false;
  for (let i = 0; i < frames && performance.now() < untilMs; i++) {
    const bitmap = await frameBitmap(video, i, width, height);
    const before = performance.now();
    const found = await pose.estimate(bitmap, width, height, i / fps);
    ms.push(performance.now() - before);
    bitmap.close();
    keypoints.push(found);
    world ||= found !== null && Array.isArray(pose.world) && pose.world.length === 17;
  }
  return { keypoints, ms, world };
}

// The practice page's loop: the camera in a <video>, the model on each new frame it can keep up
// with (requestVideoFrameCallback). Posed frames per second over `seconds`.
export async function pageRate(pose, seconds) {
  const video = document.createElement("video");
  video.muted = true;
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } });
  await video.play();
  let posed = 0, started = null;
  await new Promise((resolve) => {
    const onFrame = async (now) => {
      await pose.estimate(video, video.videoWidth, video.videoHeight, now / 1000);
      const time = performance.now();
      started ??= time;
      posed += 1;
      if (time - started >= seconds * 1000) resolve();
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
  const fps = (posed - 1) / ((performance.now() - started) / 1000);
  for (const track of video.srcObject.getTracks()) track.stop();
  return fps;
}
