// Uploads that survive lost connections and closed tabs: each swing's payload (and optional clip)
// waits in IndexedDB until the server accepts it, retried with exponential backoff and jitter.
// The swing id made in the browser is the idempotency key, so a resend never makes a duplicate.

import { api, ApiError, signedIn } from "./api.mjs";
import * as store from "./store.mjs";

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60000;
const RETRYABLE = new Set([408, 425, 429]);
// Chunks of a clip upload: small enough that a dropped connection loses little, far below the
// server's limit per request.
const CLIP_CHUNK = 1024 * 1024;

export const events = new EventTarget();
let timer = null;
let running = false;

export function backoffMs(attempts) {
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return delay * (0.5 + Math.random() / 2);
}

function emit(type, item, detail = {}) {
  events.dispatchEvent(new CustomEvent(type, { detail: { item, ...detail } }));
}

// kind "payload": body is the SwingPayload JSON. kind "clip": blob is the video, uploaded in chunks
// under the same swing id (resumed where the server stands after a lost connection or a closed
// tab): the server attaches it to the swing its keypoints made and re-analyses it from the clip
// (one physical swing stays one swing in the library and the statistics).
export async function enqueue(swingId, kind, content) {
  const item = {
    key: `${swingId}:${kind}`,
    swingId,
    kind,
    createdAt: Date.now(),
    attempts: 0,
    nextAt: 0,
    status: "pending",
    error: null,
    ...content,
  };
  await store.put("outbox", item);
  emit("queued", item);
  wake();
  return item;
}

async function sendClip(item) {
  const path = `/swings/${item.swingId}/clip`, total = item.blob.size;
  let state = await api(path);
  while (!state.complete) {
    const start = state.received, end = Math.min(total, start + CLIP_CHUNK);
    if (start >= total) {
      // Every byte is there and the server is storing the clip: ask again shortly.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      state = await api(path);
      continue;
    }
    try {
      state = await api(path, { method: "PUT", raw: item.blob.slice(start, end), headers: { "Content-Range": `bytes ${start}-${end - 1}/${total}` } });
    } catch (error) {
      // 409: the chunk does not continue the upload (an answer was lost): resume where the server
      // stands. A 409 for a swing whose clip is another one fails the item, like any other 4xx.
      if (!(error instanceof ApiError && error.status === 409)) throw error;
      state = await api(path);
      if (!state.complete && state.total !== null && state.total !== total) throw error;
    }
    emit("progress", item, { received: state.received, total });
  }
  return state;
}

function send(item) {
  if (item.kind === "payload") return api("/swings", { method: "POST", json: item.body });
  return sendClip(item);
}

async function attempt(item) {
  try {
    const result = await send(item);
    await store.remove("outbox", item.key);
    emit("delivered", item, { result });
  } catch (error) {
    const status = error instanceof ApiError ? error.status : null;
    item.attempts += 1;
    item.error = error.message;
    if (status === null || status >= 500 || RETRYABLE.has(status)) {
      item.nextAt = Date.now() + backoffMs(item.attempts);
      emit("retry", item, { status });
    } else {
      item.status = "failed"; // the server said no: resending the same thing cannot help
      emit("failed", item, { status });
    }
    await store.put("outbox", item);
    if (status === 401) throw error;
  }
}

async function drain() {
  if (running || !signedIn()) return;
  running = true;
  clearTimeout(timer);
  try {
    for (;;) {
      const pending = (await store.all("outbox")).filter((item) => item.status === "pending");
      // Oldest first, a swing's payload before its clip.
      pending.sort((a, b) => a.createdAt - b.createdAt || (a.kind === "clip") - (b.kind === "clip"));
      const due = pending.find((item) => item.nextAt <= Date.now());
      if (due === undefined) {
        if (pending.length) {
          const next = Math.min(...pending.map((item) => item.nextAt));
          timer = setTimeout(drain, Math.max(50, next - Date.now()));
        }
        return;
      }
      await attempt(due);
    }
  } catch {
    // 401: the visitor is being sent to log in; the queue is kept for later.
  } finally {
    running = false;
  }
}

export function wake() {
  queueMicrotask(drain);
}

addEventListener("online", wake);
