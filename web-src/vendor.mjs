// Copies the browser runtimes from node_modules into the package's static folder:
// - onnxruntime-web (wasm backend only), which runs the student pose model;
// - @mediapipe/tasks-vision (its SIMD wasm only), which runs BlazePose (PoseLandmarker).
// Big .wasm files are stored gzip-compressed (14 MB -> ~3.7 MB, 11 MB -> ~3.3 MB); the web app
// serves them with Content-Encoding: gzip, so the browser sees the original file.
// The BlazePose .task bundles are built from the pose package's models by pose_tasks.py.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "src", "swingcoach", "web", "static", "vendor");

function vendorPackage(name, folder, files, wasm, license, note) {
  const source = join(here, "node_modules", name);
  const target = join(vendor, folder);
  const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  mkdirSync(target, { recursive: true });
  for (const file of files) copyFileSync(join(source, file), join(target, file.split("/").pop()));
  const binary = readFileSync(join(source, wasm));
  writeFileSync(join(target, `${wasm.split("/").pop()}.gz`), gzipSync(binary, { level: 9 }));
  copyFileSync(join(here, license), join(target, "LICENSE"));
  writeFileSync(join(target, "VERSION"), `${name} ${version} (npm), ${note}\n`);
  console.log(`${name} ${version} -> ${target}`);
}

vendorPackage("onnxruntime-web", "onnxruntime-web", ["dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs"],
  "dist/ort-wasm-simd-threaded.wasm", "onnxruntime-web.LICENSE", "wasm backend");
vendorPackage("@mediapipe/tasks-vision", "mediapipe-tasks-vision", ["vision_bundle.mjs", "wasm/vision_wasm_internal.js"],
  "wasm/vision_wasm_internal.wasm", "mediapipe.LICENSE", "SIMD wasm");
