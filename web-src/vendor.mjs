// Copies the browser runtime of onnxruntime-web (wasm backend only) from node_modules into the
// package's static folder. The .wasm is stored gzip-compressed (14 MB -> ~3.7 MB); the web app
// serves it with Content-Encoding: gzip, so the browser sees the original file.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "onnxruntime-web");
const target = join(here, "..", "src", "swingcoach", "web", "static", "vendor", "onnxruntime-web");
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));

mkdirSync(target, { recursive: true });
for (const name of ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs"]) {
  copyFileSync(join(source, "dist", name), join(target, name));
}
const wasm = readFileSync(join(source, "dist", "ort-wasm-simd-threaded.wasm"));
writeFileSync(join(target, "ort-wasm-simd-threaded.wasm.gz"), gzipSync(wasm, { level: 9 }));
copyFileSync(join(here, "onnxruntime-web.LICENSE"), join(target, "LICENSE"));
writeFileSync(join(target, "VERSION"), `onnxruntime-web ${version} (npm), wasm backend\n`);
console.log(`onnxruntime-web ${version} -> ${target}`);
