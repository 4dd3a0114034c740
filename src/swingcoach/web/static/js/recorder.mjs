// Swing clips from the camera with a pre-roll: MediaRecorder output cannot be cut at an arbitrary
// time, so two recorders run staggered and restart in turn. When a swing starts, the one that
// began before the pre-roll is kept recording until the swing ends; the other keeps cycling.

const BITRATE = 1_500_000;
const TYPES = ["video/mp4;codecs=avc1", "video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"];

export function clipType() {
  return TYPES.find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

class Slot {
  constructor(stream, type, startS) {
    this.startS = startS;
    this.chunks = [];
    this.recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: BITRATE });
    this.recorder.ondataavailable = (event) => event.data.size && this.chunks.push(event.data);
    this.stopped = new Promise((resolve) => (this.recorder.onstop = resolve));
    this.recorder.start();
  }

  async finish() {
    if (this.recorder.state !== "inactive") this.recorder.stop();
    await this.stopped;
    return new Blob(this.chunks, { type: this.recorder.mimeType.split(";")[0] });
  }

  discard() {
    if (this.recorder.state !== "inactive") this.recorder.stop();
  }
}

export class ClipRing {
  // `preRollS`: how much must be on the clip before the swing's cut starts.
  constructor(stream, preRollS) {
    this.stream = stream;
    this.type = clipType();
    this.stagger = preRollS + 0.5;
    this.slots = [];
    this.held = null;
  }

  // Called with every pose: `swingStartS` is the detector's cut start while a swing is under way.
  tick(nowS, swingStartS) {
    if (swingStartS !== null && this.held === null) {
      // The latest recorder that has the whole pre-roll, else the oldest there is.
      const covering = this.slots.filter((slot) => slot.startS <= swingStartS);
      this.held = covering.length
        ? covering.reduce((a, b) => (b.startS > a.startS ? b : a))
        : this.slots.reduce((a, b) => (b.startS < a.startS ? b : a), this.slots[0] ?? null);
    } else if (swingStartS === null && this.held !== null) {
      this.drop(this.held); // the swing finder gave up (a waggle, a half swing)
      this.held = null;
    }
    for (const slot of [...this.slots]) {
      if (slot !== this.held && nowS - slot.startS >= 2 * this.stagger) this.drop(slot);
    }
    const free = this.slots.filter((slot) => slot !== this.held);
    const newest = Math.max(-Infinity, ...free.map((slot) => slot.startS));
    // While a swing is recorded, one spare is enough: the next swing cannot start before it ends.
    const wanted = this.held === null ? 2 : 1;
    if (free.length < wanted && nowS - newest >= this.stagger) this.slots.push(new Slot(this.stream, this.type, nowS));
  }

  drop(slot) {
    slot.discard();
    this.slots.splice(this.slots.indexOf(slot), 1);
  }

  // The swing ended: its clip, and the stream time the clip starts at.
  async take() {
    const slot = this.held;
    this.held = null;
    if (slot === null) return null;
    this.slots.splice(this.slots.indexOf(slot), 1);
    return { blob: await slot.finish(), startS: slot.startS, type: slot.recorder.mimeType };
  }

  stop() {
    for (const slot of this.slots) slot.discard();
    this.slots = [];
    this.held = null;
  }
}
