// "Your swing is analysed", noticeable from a few metres away: a large banner with the score, a
// sound, a vibration, the system notification when the golfer allowed it (and the page is hidden),
// the result spoken aloud when they asked for it, and a list of past notifications.

const SETTINGS_KEY = "swingcoach.notify";
const LIST_KEY = "swingcoach.notifications";
const LIST_SIZE = 50;
const BANNER_S = 20;
const DEFAULTS = { sound: true, vibrate: true, speak: false, system: true };

export const changes = new EventTarget();

export function settings() {
  return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}") };
}

export function saveSettings(changed) {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify({ ...settings(), ...changed }));
}

export function history() {
  return JSON.parse(localStorage.getItem(LIST_KEY) || "[]");
}

function remember(item) {
  localStorage.setItem(LIST_KEY, JSON.stringify([item, ...history()].slice(0, LIST_SIZE)));
  changes.dispatchEvent(new Event("change"));
}

export function markRead() {
  localStorage.setItem(LIST_KEY, JSON.stringify(history().map((item) => ({ ...item, read: true }))));
  changes.dispatchEvent(new Event("change"));
}

export const clearHistory = () => {
  localStorage.removeItem(LIST_KEY);
  changes.dispatchEvent(new Event("change"));
};

// Browsers start sound only after a gesture: the audio context is made on the first one.
let audio = null;
addEventListener("pointerdown", () => {
  audio ??= new AudioContext();
  audio.resume().catch(() => {});
}, { once: true });

function chime(good) {
  if (audio === null || audio.state !== "running") return false;
  const notes = good ? [660, 880] : [440, 330];
  notes.forEach((frequency, i) => {
    const start = audio.currentTime + i * 0.18;
    const tone = new OscillatorNode(audio, { frequency, type: "sine" });
    const gain = new GainNode(audio, { gain: 0 });
    gain.gain.linearRampToValueAtTime(0.35, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.001, start + 0.3);
    tone.connect(gain).connect(audio.destination);
    tone.start(start);
    tone.stop(start + 0.32);
  });
  return true;
}

async function systemNotification(title, body, href) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return false;
  // Through the service worker where there is one (phones show only those).
  const registration = await navigator.serviceWorker?.getRegistration();
  if (registration) await registration.showNotification(title, { body, tag: href ?? title, data: { href }, icon: "/static/icons/icon-192.png" });
  else new Notification(title, { body, tag: href ?? title });
  return true;
}

function banner(title, body, href, good) {
  const box = document.getElementById("result-banner");
  const link = href ? Object.assign(document.createElement("a"), { href, textContent: "Open the analysis" }) : null;
  document.getElementById("result-title").textContent = title;
  document.getElementById("result-body").textContent = body;
  document.getElementById("result-link").replaceChildren(...(link ? [link] : []));
  box.dataset.tone = good ? "good" : "bad";
  box.hidden = false;
  clearTimeout(banner.timer);
  banner.timer = setTimeout(() => (box.hidden = true), BANNER_S * 1000);
}

// Says one result every way the golfer allowed; what was used is returned (the tests read it).
export async function announce({ title, body, spoken, href = null, good = true }) {
  const chosen = settings();
  remember({ title, body, href, good, at: new Date().toISOString(), read: false });
  banner(title, body, href, good);
  const used = { banner: true, sound: false, vibrate: false, speak: false, system: false };
  if (chosen.sound) used.sound = chime(good);
  if (chosen.vibrate && navigator.vibrate) used.vibrate = navigator.vibrate(good ? [120, 60, 120] : [400]);
  if (chosen.speak && "speechSynthesis" in window) {
    speechSynthesis.speak(new SpeechSynthesisUtterance(spoken ?? title));
    used.speak = true;
  }
  if (chosen.system) used.system = await systemNotification(title, body, href).catch(() => false);
  document.body.dataset.lastNotice = JSON.stringify(used);
  return used;
}

export async function askPermission() {
  if (!("Notification" in window)) return "unsupported";
  return Notification.permission === "default" ? Notification.requestPermission() : Notification.permission;
}
