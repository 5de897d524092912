// The timeline chart: byte/event arrivals, content deltas and flushes on one time axis, with
// the stall or abort marked. Plain SVG built with createElementNS; every label is set with
// textContent (never innerHTML), because some of them carry server-provided text.

const SVG_NS = "http://www.w3.org/2000/svg";
const HEIGHT = 160;
const LEFT = 92; // room for the row labels
const RIGHT = 30;
const ROWS = [
  { key: "bytes", label: "bytes", y: 30 },
  { key: "deltas", label: "deltas", y: 64 },
  { key: "flushes", label: "flushes", y: 98 },
];
const AXIS_Y = 124;

function el(name, attrs, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A "nice" tick step (1, 2, 5 x 10^n ms) for about `target` ticks over `span` ms. */
export function niceStep(span, target = 8) {
  const raw = Math.max(span / target, 1);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmtMs(ms) {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Draws `run` into `svg`.
 * run = { now, events: [{t, keepAlive}], deltas: [t], flushes: [{t, chars}],
 *         end: null | {t, outcome, label, gapFrom?} }  (t in ms since Send)
 */
export function drawTimeline(svg, run) {
  const width = Math.max(320, Math.round(svg.clientWidth || 800));
  svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  svg.replaceChildren();

  const span = Math.max(run ? run.now : 0, run && run.end ? run.end.t : 0, 500);
  const step = niceStep(span);
  const axisMax = Math.ceil(span / step) * step;
  const plotW = width - LEFT - RIGHT;
  const x = (t) => LEFT + (Math.min(Math.max(t, 0), axisMax) / axisMax) * plotW;

  // Row guides and labels.
  for (const row of ROWS) {
    svg.append(el("line", { x1: LEFT, x2: width - RIGHT, y1: row.y, y2: row.y, class: "tl-guide" }));
    svg.append(el("text", { x: 8, y: row.y + 4, class: "tl-label" }, row.label));
  }
  // Axis with ticks.
  svg.append(el("line", { x1: LEFT, x2: width - RIGHT, y1: AXIS_Y, y2: AXIS_Y, class: "tl-axis" }));
  const labelEvery = Math.max(1, Math.ceil((axisMax / step) / Math.max(1, plotW / 64)));
  for (let t = 0, i = 0; t <= axisMax + 1e-9; t += step, i++) {
    svg.append(el("line", { x1: x(t), x2: x(t), y1: AXIS_Y, y2: AXIS_Y + 4, class: "tl-axis" }));
    if (i % labelEvery === 0) {
      svg.append(el("text", { x: x(t), y: AXIS_Y + 16, class: "tl-tick", "text-anchor": "middle" }, fmtMs(t)));
    }
  }
  if (!run) {
    svg.append(el("text", { x: LEFT + plotW / 2, y: 70, class: "tl-empty", "text-anchor": "middle" },
      "press Send: arrivals, deltas and flushes appear here as they happen"));
    return;
  }

  // The silence before a stall, shaded, so a stall is something to look at.
  if (run.end && run.end.gapFrom !== undefined && run.end.t > run.end.gapFrom) {
    const x0 = x(run.end.gapFrom);
    const x1 = x(run.end.t);
    svg.append(el("rect", { x: x0, y: 14, width: Math.max(1, x1 - x0), height: AXIS_Y - 20, class: "tl-gap" }));
    if (x1 - x0 > 70) {
      svg.append(el("text", { x: (x0 + x1) / 2, y: AXIS_Y - 10, class: "tl-gap-label", "text-anchor": "middle" },
        `${Math.round(run.end.t - run.end.gapFrom)} ms silent`));
    }
  }

  const tick = (row, t, cls, h = 9) =>
    svg.append(el("line", { x1: x(t), x2: x(t), y1: row.y - h, y2: row.y + h, class: cls }));
  for (const e of run.events) tick(ROWS[0], e.t, e.keepAlive ? "tl-ping" : "tl-bytes");
  for (const t of run.deltas) tick(ROWS[1], t, "tl-delta");
  const maxChars = Math.max(1, ...run.flushes.map((f) => f.chars));
  for (const f of run.flushes) tick(ROWS[2], f.t, "tl-flush", 3 + 9 * Math.sqrt(f.chars / maxChars));

  if (run.end) {
    const xe = x(run.end.t);
    const cls = `tl-end tl-end-${run.end.outcome}`;
    svg.append(el("line", { x1: xe, x2: xe, y1: 8, y2: AXIS_Y, class: cls }));
    const anchor = xe > width - 170 ? "end" : "start";
    const lx = anchor === "end" ? xe - 5 : xe + 5;
    const label = `${run.end.label} @ ${Math.round(run.end.t)} ms`;
    svg.append(el("text", { x: lx, y: 11, class: `tl-end-label ${cls}`, "text-anchor": anchor }, label));
  } else {
    const xn = x(run.now);
    svg.append(el("line", { x1: xn, x2: xn, y1: 8, y2: AXIS_Y, class: "tl-now" }));
  }
}
