// Streaming swing finder: idle -> address -> swing -> finish, one pose at a time.
//
// A line-by-line port of swingcoach/swing/detect.py (SwingDetector, same settings), so the browser
// cuts the same swings as the device and the server; tests/web/test_detector_parity.py runs both
// on the same poses. Keep the two in step: change one, change the other.
//
// Keypoints: an array of 17 [x, y, confidence] in pixels, NaN where a keypoint is missing; a frame
// with nobody in it is passed as null.

import { roundHalfEven } from "./round.mjs";

export const State = Object.freeze({ IDLE: "idle", ADDRESS: "address", SWING: "swing", FINISH: "finish" });

// Heights are hands above the hip centre in torso lengths; distances in torso lengths.
export const DEFAULT_SETTINGS = Object.freeze({
  stillWindowS: 0.4,
  stillHands: 0.06,
  stillHips: 0.06,
  addressMaxHeight: 0.45,
  addressMaxReach: 1.0,
  takeawayDistance: 0.15,
  topHeight: 0.8,
  impactHeight: 0.45,
  followHeight: 0.7,
  finishSpeed: 0.8,
  maxBackswingS: 8.0,
  maxDownswingS: 3.0,
  maxFollowS: 4.0,
  lostPersonS: 0.6,
  preRollS: 2.0,
  postRollS: 1.5,
});

const L_SHOULDER = 5, R_SHOULDER = 6, L_WRIST = 9, R_WRIST = 10, L_HIP = 11, R_HIP = 12;
const NEEDED = [L_HIP, R_HIP, L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST];
const TORSO_HISTORY = 90;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function norm(a, b) {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

// The largest per-axis population standard deviation of 2D points (numpy's std(axis=0).max()).
function maxStd(points) {
  let worst = 0;
  for (const axis of [0, 1]) {
    const mean = points.reduce((sum, p) => sum + p[axis], 0) / points.length;
    const variance = points.reduce((sum, p) => sum + (p[axis] - mean) ** 2, 0) / points.length;
    worst = Math.max(worst, Math.sqrt(variance));
  }
  return worst;
}

export class SwingDetector {
  constructor(settings = {}) {
    this.s = { ...DEFAULT_SETTINGS, ...settings };
    this.state = State.IDLE;
    this.history = [];
    this.torsoHistory = [];
    this.lastSeen = -Infinity;
    // Where the last swing's cut ended: the next cut starts after it, so two swings never share
    // frames (the next golfer's address is never the previous one's finish).
    this.previousEnd = { index: -1, timeS: -Infinity };
    this.resetSwing();
  }

  cutStartS(takeaway) {
    return Math.max(0, takeaway.timeS - this.s.preRollS, this.previousEnd.timeS);
  }

  // While a swing is under way: the stream time its cut will start at (takeaway minus the
  // pre-roll, not before the previous cut's end), so a recorder can keep what it has recorded since then.
  get swingStartS() {
    if ((this.state === State.SWING || this.state === State.FINISH) && this.takeaway !== null) {
      return this.cutStartS(this.takeaway);
    }
    return null;
  }

  resetSwing() {
    this.addressHands = null;
    this.takeaway = null;
    this.top = null;
    this.impact = null;
    this.follow = null;
    this.finish = null;
  }

  sample(index, timeS, keypoints) {
    if (NEEDED.some((k) => Number.isNaN(keypoints[k][0]) || Number.isNaN(keypoints[k][1]))) return null;
    const mid = (a, b) => [(keypoints[a][0] + keypoints[b][0]) / 2, (keypoints[a][1] + keypoints[b][1]) / 2];
    const hips = mid(L_HIP, R_HIP);
    const shoulders = mid(L_SHOULDER, R_SHOULDER);
    this.torsoHistory.push(norm(shoulders, hips));
    if (this.torsoHistory.length > TORSO_HISTORY) this.torsoHistory.shift();
    const torso = Math.max(median(this.torsoHistory), 1e-6);
    const wrists = mid(L_WRIST, R_WRIST);
    const hands = [(wrists[0] - hips[0]) / torso, -(wrists[1] - hips[1]) / torso];
    return { index, timeS, hands, hips, torso };
  }

  window(now) {
    return this.history.filter((h) => now - h.timeS <= this.s.stillWindowS);
  }

  // The window of the stillness test. Poses that come sparsely may leave it short of its span:
  // then the sample just before it is taken too, if it is not much older.
  stillWindow(now) {
    const window = this.window(now);
    if (window[0].timeS > now - 0.75 * this.s.stillWindowS && this.history.length > window.length) {
      const before = this.history[this.history.length - window.length - 1];
      if (now - before.timeS <= 2 * this.s.stillWindowS) window.unshift(before);
    }
    return window;
  }

  isAddressPosture(sample) {
    const window = this.stillWindow(sample.timeS);
    if (window[0].timeS > sample.timeS - 0.75 * this.s.stillWindowS) return false; // not enough history yet
    const hands = window.map((w) => w.hands);
    const hips = window.map((w) => [w.hips[0] / sample.torso, w.hips[1] / sample.torso]);
    return (
      sample.hands[1] < this.s.addressMaxHeight &&
      Math.abs(sample.hands[0]) < this.s.addressMaxReach &&
      maxStd(hands) < this.s.stillHands &&
      maxStd(hips) < this.s.stillHips
    );
  }

  // Feed one pose; returns a swing segment once its finish (and post-roll) is seen, else null.
  update(index, timeS, keypoints) {
    const sample = keypoints === null ? null : this.sample(index, timeS, keypoints);
    if (sample === null) {
      if (timeS - this.lastSeen > this.s.lostPersonS && this.state !== State.IDLE) {
        // Out of view after the follow-through (walked off, camera cut): the swing is whole.
        const segment = this.flush();
        this.toIdle();
        return segment;
      }
      return null;
    }
    this.lastSeen = timeS;
    this.history.push(sample);
    const span = Math.max(this.s.stillWindowS, this.s.preRollS);
    while (this.history.length && timeS - this.history[0].timeS > span) this.history.shift();
    switch (this.state) {
      case State.IDLE:
        return this.onIdle(sample);
      case State.ADDRESS:
        return this.onAddress(sample);
      case State.SWING:
        return this.onSwing(sample);
      default:
        return this.onFinish(sample);
    }
  }

  toIdle() {
    this.state = State.IDLE;
    this.resetSwing();
  }

  onIdle(sample) {
    if (this.isAddressPosture(sample)) {
      this.state = State.ADDRESS;
      this.addressHands = this.restPosition(sample);
    }
    return null;
  }

  restPosition(sample) {
    const window = this.window(sample.timeS);
    return [0, 1].map((axis) => window.reduce((sum, w) => sum + w.hands[axis], 0) / window.length);
  }

  onAddress(sample) {
    if (this.isAddressPosture(sample)) {
      this.addressHands = this.restPosition(sample);
      this.takeaway = sample;
      return null;
    }
    if (norm(sample.hands, this.addressHands) > this.s.takeawayDistance) {
      if (this.takeaway === null) this.takeaway = sample;
      this.state = State.SWING;
      return null;
    }
    if (sample.hands[1] > this.s.addressMaxHeight) this.toIdle();
    return null;
  }

  onSwing(sample) {
    const elapsed = sample.timeS - this.takeaway.timeS;
    const height = sample.hands[1];
    if (this.impact === null) {
      if ((this.top === null && height > this.s.topHeight) || (this.top !== null && height > this.top.hands[1])) {
        this.top = sample;
      }
      if (this.top === null) {
        const backAtAddress = norm(sample.hands, this.addressHands) < this.s.takeawayDistance;
        if (backAtAddress && this.isAddressPosture(sample)) {
          this.state = State.ADDRESS; // a waggle: hands went back without a backswing
          this.takeaway = sample;
        } else if (elapsed > this.s.maxBackswingS) {
          this.toIdle();
        }
        return null;
      }
      if (height < this.s.impactHeight) this.impact = sample;
      else if (sample.timeS - this.top.timeS > this.s.maxDownswingS) this.toIdle();
      return null;
    }
    if (height < this.impact.hands[1] && this.follow === null) this.impact = sample; // still going down
    if (height > this.s.followHeight) {
      this.follow = sample;
      this.state = State.FINISH;
    } else if (sample.timeS - this.impact.timeS > this.s.maxFollowS) {
      this.toIdle();
    }
    return null;
  }

  onFinish(sample) {
    if (this.finish === null) {
      const recent = this.window(sample.timeS);
      const first = recent[0], last = recent[recent.length - 1];
      const speed = norm(last.hands, first.hands) / Math.max(last.timeS - first.timeS, 1e-6);
      const held = speed < this.s.finishSpeed && recent.length > 1;
      const timedOut = sample.timeS - this.impact.timeS > this.s.maxFollowS;
      if (held || timedOut) this.finish = sample;
      return null;
    }
    if (sample.timeS - this.finish.timeS < this.s.postRollS) return null;
    return this.emit(sample);
  }

  emit(end) {
    const first = this.history[0];
    const framesPerS =
      end !== first ? (end.index - first.index) / Math.max(end.timeS - first.timeS, 1e-6) : 30.0;
    const preRoll = roundHalfEven(this.s.preRollS * framesPerS);
    const segment = {
      start: Math.max(0, this.takeaway.index - preRoll, this.previousEnd.index + 1),
      end: end.index,
      takeaway: this.takeaway.index,
      top: this.top.index,
      impact: this.impact.index,
      finish: this.finish.index,
      startTimeS: this.cutStartS(this.takeaway),
      endTimeS: end.timeS,
      // Not in the Python segment: the stream times of the landmarks, for a live recorder.
      times: {
        takeaway: this.takeaway.timeS,
        top: this.top.timeS,
        impact: this.impact.timeS,
        finish: this.finish.timeS,
      },
    };
    this.previousEnd = { index: end.index, timeS: end.timeS };
    this.toIdle();
    return segment;
  }

  // End of stream: a swing that reached its follow-through is emitted even if cut short.
  flush() {
    if (this.state === State.FINISH && this.follow !== null) {
      const last = this.history.length ? this.history[this.history.length - 1] : null;
      if (this.finish === null) this.finish = last ?? this.follow;
      return this.emit(last ?? this.finish);
    }
    return null;
  }
}
