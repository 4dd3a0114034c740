// Small SVG charts (no chart library): a line over time buckets, bars, horizontal bars.

const NS = "http://www.w3.org/2000/svg";
const W = 560, H = 220, PAD = { left: 40, right: 12, top: 12, bottom: 28 };

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

function frame(container, label) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
  container.replaceChildren(root);
  return root;
}

function empty(root, message) {
  root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, message));
}

function yAxis(root, y, ticks, format) {
  for (const tick of ticks) {
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }));
    root.append(svg("text", { x: PAD.left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)));
  }
}

function xLabels(root, labels, x) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((label, i) => {
    if (i % every) return;
    root.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, label));
  });
}

function niceTicks(lo, hi, count = 4) {
  const span = Math.max(hi - lo, 1e-9);
  const step = 10 ** Math.floor(Math.log10(span / count));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => span / s <= count) ?? step * 10;
  const ticks = [];
  const last = Math.ceil(hi / nice - 1e-9) * nice;
  for (let t = Math.floor(lo / nice) * nice; t <= last + 1e-9; t += nice) ticks.push(Math.round(t * 1e6) / 1e6);
  return ticks;
}

// values: one number or null per label; `band`: [lo, hi] drawn behind (e.g. the tour range).
export function lineChart(container, { labels, values, min = null, max = null, band = null, format = (v) => `${v}`, label }) {
  const root = frame(container, label);
  const known = values.filter((v) => v !== null);
  if (!known.length) return empty(root, "No swings in this period");
  const lo = min ?? Math.min(...known, ...(band ?? [])), hi = max ?? Math.max(...known, ...(band ?? []));
  const pad = lo === hi ? 1 : 0;
  const ticks = niceTicks(lo - pad, hi + pad);
  const [y0, y1] = [Math.min(ticks[0], lo), Math.max(ticks[ticks.length - 1], hi)];
  const x = (i) => PAD.left + ((W - PAD.left - PAD.right) * (i + 0.5)) / labels.length;
  const y = (v) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * (v - y0)) / Math.max(y1 - y0, 1e-9);
  if (band) root.append(svg("rect", { x: PAD.left, width: W - PAD.left - PAD.right, y: y(band[1]), height: Math.max(0, y(band[0]) - y(band[1])), class: "band" }));
  yAxis(root, y, ticks, format);
  xLabels(root, labels, x);
  // Segments join consecutive buckets that have swings; single points stay dots.
  let path = "", previous = false;
  values.forEach((v, i) => {
    if (v === null) return (previous = false);
    path += `${previous ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    previous = true;
  });
  root.append(svg("path", { d: path, class: "line" }));
  values.forEach((v, i) => {
    if (v === null) return;
    const dot = svg("circle", { cx: x(i), cy: y(v), r: 4, class: "dot" });
    dot.append(svg("title", {}, `${labels[i]}: ${format(v)}`));
    root.append(dot);
  });
}

export function barChart(container, { labels, values, label }) {
  const root = frame(container, label);
  const hi = Math.max(...values, 0);
  if (hi === 0) return empty(root, "No swings in this period");
  const ticks = niceTicks(0, hi);
  const top = ticks[ticks.length - 1];
  const slot = (W - PAD.left - PAD.right) / labels.length;
  const x = (i) => PAD.left + slot * (i + 0.5);
  const y = (v) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  yAxis(root, y, ticks.filter(Number.isInteger), (v) => `${v}`);
  xLabels(root, labels, x);
  values.forEach((v, i) => {
    if (!v) return;
    const bar = svg("rect", { x: x(i) - slot * 0.35, width: slot * 0.7, y: y(v), height: y(0) - y(v), rx: 2, class: "bar" });
    bar.append(svg("title", {}, `${labels[i]}: ${v}`));
    root.append(bar);
  });
}

// items: [{label, share}] with share in [0, 1]; each label sits above its bar.
export function hbarChart(container, { items, label }) {
  const rowH = 44, height = Math.max(1, items.length) * rowH + 6;
  const root = svg("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": label });
  container.replaceChildren(root);
  if (!items.length) {
    root.setAttribute("viewBox", `0 0 ${W} 60`);
    root.append(svg("text", { x: W / 2, y: 34, "text-anchor": "middle", class: "empty" }, "No recurring faults — nice."));
    return;
  }
  items.forEach((item, i) => {
    const y = 4 + i * rowH;
    const width = (W - 60) * item.share;
    root.append(svg("text", { x: 0, y: y + 13, class: "hlabel" }, item.label));
    root.append(svg("rect", { x: 0, y: y + 20, width: Math.max(width, 2), height: 14, rx: 3, class: "hbar" }));
    root.append(svg("text", { x: width + 6, y: y + 32 }, `${Math.round(item.share * 100)}%`));
  });
}

// A score dial: the arc fills with the score.
export function scoreRing(container, score, basis = "score / 100") {
  const scored = score !== null && score !== undefined;
  const root = svg("svg", { viewBox: "0 0 120 120", role: "img", "aria-label": scored ? `score ${Math.round(score)}` : "no score" });
  const r = 50, c = 2 * Math.PI * r;
  const tone = !scored ? "#eef2ee" : score >= 75 ? "var(--good)" : score >= 50 ? "var(--fair)" : "var(--poor)";
  root.append(svg("circle", { cx: 60, cy: 60, r, fill: "none", stroke: "#eef2ee", "stroke-width": 12 }));
  if (scored) {
    root.append(svg("circle", {
      cx: 60, cy: 60, r, fill: "none", stroke: tone, "stroke-width": 12, "stroke-linecap": "round",
      "stroke-dasharray": `${(c * score) / 100} ${c}`, transform: "rotate(-90 60 60)",
    }));
  }
  root.append(svg("text", { x: 60, y: 66, "text-anchor": "middle", "font-size": 30, "font-weight": 700, fill: "currentColor" }, scored ? `${Math.round(score)}` : "–"));
  root.append(svg("text", { x: 60, y: 86, "text-anchor": "middle", "font-size": 11, fill: "#5b6b60" }, scored ? basis : "no score"));
  container.replaceChildren(root);
}
