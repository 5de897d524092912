// The streamguard demo page. No framework, no CDN: the library comes from /pkg/ (the npm
// package's browser entry and wasm, built by scripts/build-wasm.sh) and the scenarios from the
// harness serving this page.
//
// Rules kept here on purpose:
// - streamed and server-provided text is only ever set with textContent / text nodes;
// - the API key lives in the password input and in a local variable while a request is being
//   built; it is never stored (no localStorage, no URL) and never logged.

import { drawTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const ui = {
  loadStatus: $("load-status"),
  form: $("controls"),
  backend: $("backend"),
  description: $("backend-description"),
  custom: $("custom"),
  customUrl: $("custom-url"),
  customModel: $("custom-model"),
  customKey: $("custom-key"),
  tFirstByte: $("t-first-byte"),
  tIdle: $("t-idle"),
  tContent: $("t-content"),
  tTotal: $("t-total"),
  flush: $("flush"),
  flushInterval: $("flush-interval"),
  prompt: $("prompt"),
  send: $("send"),
  stop: $("stop"),
  badge: $("badge"),
  badgeMessage: $("badge-message"),
  output: $("output"),
  thinkingBox: $("thinking-box"),
  thinking: $("thinking"),
  toolCalls: $("tool-calls"),
  stats: $("stats"),
  timeline: $("timeline"),
};

// The timer values the harness scenarios are designed around (FAULTS.md), and defaults that
// suit a real model server (slow first token, long answers).
const SCENARIO_TIMEOUTS = { firstByte: 1000, idle: 500, content: 1500, total: 5000 };
const REAL_MODEL_TIMEOUTS = { firstByte: 30000, idle: 20000, content: 60000, total: 300000 };

// Custom endpoints: how to shape the request for each provider.
const CUSTOM = {
  "custom:openai": {
    label: "Custom OpenAI-compatible URL",
    protocol: "openai",
    url: "https://api.openai.com/v1/chat/completions",
    model: "gpt-4o-mini",
    description: "Any OpenAI-compatible /v1/chat/completions endpoint (OpenAI, vLLM, llama.cpp, LiteLLM, …). The key is sent as Authorization: Bearer.",
  },
  "custom:anthropic": {
    label: "Custom Anthropic URL",
    protocol: "anthropic",
    url: "https://api.anthropic.com/v1/messages",
    model: "claude-sonnet-4-5",
    description: "Anthropic Messages API. The key is sent as x-api-key with anthropic-version.",
  },
  "custom:ollama": {
    label: "Custom Ollama URL",
    protocol: "ollama",
    url: "http://127.0.0.1:11434/api/chat",
    model: "llama3.2",
    description: "Ollama /api/chat (NDJSON). No key needed.",
  },
  "custom:gemini": {
    label: "Custom Gemini URL",
    protocol: "gemini",
    url: "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    model: "gemini-2.5-flash",
    description: "Google Gemini streamGenerateContent (with ?alt=sse for SSE, without it the JSON array form; both decode). The model replaces the one in the URL; the key is sent as x-goog-api-key.",
  },
  "custom:ai-sdk": {
    label: "Custom AI SDK backend URL",
    protocol: "ai-sdk",
    url: "http://localhost:3000/api/chat",
    model: "",
    description: "A backend built with the Vercel AI SDK that answers with toUIMessageStreamResponse() (the body is what useChat sends). A key, if given, is sent as Authorization: Bearer.",
  },
};

// How each protocol says "done", for the truncated badge.
const TERMINATOR = {
  openai: "no [DONE]",
  "openai-responses": "no response.completed",
  anthropic: "no message_stop",
  ollama: 'no "done": true',
  gemini: "no finishReason",
  "ai-sdk": "no finish part or [DONE]",
  sse: "no terminator",
  text: "no terminator",
  auto: "no terminator",
};

let lib = null; // the library's exports, once its wasm is loaded
let scenarios = new Map(); // name -> scenario entry from /_harness/scenarios
let current = null; // the run in progress (or the last one)
let lastTimeoutKind = null; // "scenario" | "custom": only overwrite timeouts when it changes

// ---------------------------------------------------------------------------------------------
// Startup

async function main() {
  setState("loading");
  drawTimeline(ui.timeline, null);
  wireControls();
  const [libResult] = await Promise.allSettled([loadLib(), loadScenarios()]);
  if (libResult.status === "rejected") {
    ui.loadStatus.textContent =
      "Could not load /pkg/index.js. Build it with `scripts/build-wasm.sh pkg` (scripts/demo.sh does). " +
      String(libResult.reason && libResult.reason.message ? libResult.reason.message : libResult.reason);
    ui.loadStatus.classList.add("error");
    setState("error");
    return;
  }
  ui.loadStatus.textContent = "";
  ui.loadStatus.hidden = true;
  ui.send.disabled = false;
  setState("idle");
}

async function loadLib() {
  // The npm package's browser entry, as scripts/build-wasm.sh writes it next to the wasm.
  const mod = await import("./pkg/index.js");
  await mod.init();
  lib = mod;
}

async function loadScenarios() {
  let list = [];
  try {
    const res = await fetch("/_harness/scenarios", { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    list = Array.isArray(body) ? body : Array.isArray(body.scenarios) ? body.scenarios : [];
  } catch (e) {
    ui.description.textContent = `The harness scenario list is not available here (${e.message}); pick a custom endpoint.`;
  }
  scenarios = new Map(list.filter((s) => s && typeof s.name === "string").map((s) => [s.name, s]));

  ui.backend.replaceChildren();
  if (scenarios.size > 0) {
    const group = document.createElement("optgroup");
    group.label = "Harness scenarios (embedded mock)";
    for (const s of scenarios.values()) {
      const opt = document.createElement("option");
      opt.value = `scenario:${s.name}`;
      opt.textContent = s.description ? `${s.name} — ${s.description}` : s.name;
      opt.title = s.description || "";
      group.append(opt);
    }
    ui.backend.append(group);
  }
  const custom = document.createElement("optgroup");
  custom.label = "Your own endpoint";
  for (const [value, c] of Object.entries(CUSTOM)) {
    const opt = document.createElement("option");
    opt.value = value;
    opt.textContent = c.label;
    custom.append(opt);
  }
  ui.backend.append(custom);
  ui.backend.value = scenarios.has("openai_ok") ? "scenario:openai_ok" : ui.backend.options[0].value;
  onBackendChange();
}

function wireControls() {
  ui.backend.addEventListener("change", onBackendChange);
  ui.flush.addEventListener("change", () => {
    ui.flushInterval.disabled = ui.flush.value !== "interval";
  });
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  ui.stop.addEventListener("click", () => {
    if (current && current.controller && !current.done) {
      current.stopClickedAt = performance.now() - current.t0;
      current.controller.abort();
    }
  });
  window.addEventListener("resize", () => drawTimeline(ui.timeline, current && current.timeline));
}

function onBackendChange() {
  const value = ui.backend.value || "";
  const isCustom = value.startsWith("custom:");
  ui.custom.hidden = !isCustom;
  if (isCustom) {
    const c = CUSTOM[value];
    ui.description.textContent = c.description;
    ui.customUrl.placeholder = c.url;
    if (!ui.customUrl.value || Object.values(CUSTOM).some((o) => o.url === ui.customUrl.value)) {
      ui.customUrl.value = c.url;
    }
    if (!ui.customModel.value || Object.values(CUSTOM).some((o) => o.model === ui.customModel.value)) {
      ui.customModel.value = c.model;
    }
  } else {
    const s = scenarios.get(value.slice("scenario:".length));
    const expected = s ? describeExpectation(s.expectations || s.expect) : "";
    ui.description.textContent = s ? [s.description, expected].filter(Boolean).join(" · ") : "";
  }
  if (isCustom) {
    // Only when switching from scenarios: keep what the user typed for their own endpoint.
    if (lastTimeoutKind !== "custom") setTimeouts(REAL_MODEL_TIMEOUTS);
    lastTimeoutKind = "custom";
  } else {
    // The timer values this scenario is designed around: its own client settings, else the
    // FAULTS.md test values.
    const s = scenarios.get(value.slice("scenario:".length));
    setTimeouts(scenarioTimeouts(s));
    lastTimeoutKind = "scenario";
  }
}

function scenarioTimeouts(s) {
  const c = (s && s.client) || {};
  const pick = (v, d) => (Number.isFinite(v) ? v : d);
  return {
    firstByte: pick(c.firstByteTimeoutMs, SCENARIO_TIMEOUTS.firstByte),
    idle: pick(c.idleTimeoutMs, SCENARIO_TIMEOUTS.idle),
    content: pick(c.contentTimeoutMs, SCENARIO_TIMEOUTS.content),
    total: pick(c.totalTimeoutMs, SCENARIO_TIMEOUTS.total),
  };
}

function describeExpectation(exp) {
  if (!exp || typeof exp !== "object") return "";
  const outcome = Array.isArray(exp.outcome) ? exp.outcome.join(" or ") : exp.outcome || "";
  const detail = exp.phase || exp.finishReason || exp.finish_reason || exp.code || "";
  return outcome ? `expected: ${outcome}${detail ? "/" + detail : ""}` : "";
}

function setTimeouts(t) {
  ui.tFirstByte.value = t.firstByte;
  ui.tIdle.value = t.idle;
  ui.tContent.value = t.content;
  ui.tTotal.value = t.total;
}

// ---------------------------------------------------------------------------------------------
// One request

function buildRequest() {
  const value = ui.backend.value;
  const prompt = ui.prompt.value;
  const messages = [{ role: "user", content: prompt }];
  if (value.startsWith("custom:")) {
    const c = CUSTOM[value];
    const url = ui.customUrl.value.trim() || c.url;
    const model = ui.customModel.value.trim() || c.model;
    const key = ui.customKey.value; // in memory only, for this request
    const headers = { "content-type": "application/json" };
    let body;
    let target = url;
    if (c.protocol === "anthropic") {
      if (key) headers["x-api-key"] = key;
      headers["anthropic-version"] = "2023-06-01";
      headers["anthropic-dangerous-direct-browser-access"] = "true";
      body = { model, max_tokens: 1024, stream: true, messages };
    } else if (c.protocol === "gemini") {
      if (key) headers["x-goog-api-key"] = key;
      // The model is part of Gemini's URL: .../models/{model}:streamGenerateContent
      if (model) target = url.replace(/\/models\/[^/:?]+:/, `/models/${encodeURIComponent(model)}:`);
      body = geminiBody(prompt);
    } else if (c.protocol === "ai-sdk") {
      if (key) headers.authorization = `Bearer ${key}`;
      body = aiSdkBody(prompt);
    } else {
      if (key && c.protocol === "openai") headers.authorization = `Bearer ${key}`;
      body = { model, stream: true, messages };
    }
    return { url: target, method: "POST", headers, body: JSON.stringify(body), protocol: c.protocol, label: target };
  }
  const name = value.slice("scenario:".length);
  const s = scenarios.get(name) || { name, protocol: "auto" };
  const protocol = s.protocol || "auto";
  const path = s.path || s.url || `/scenarios/${encodeURIComponent(name)}`;
  const wire = s.wire || protocol;
  const body =
    protocol === "anthropic"
      ? { model: "mock", max_tokens: 256, stream: true, messages }
      : wire.startsWith("gemini")
        ? geminiBody(prompt)
        : wire === "ai-sdk"
          ? aiSdkBody(prompt)
          : { model: "mock", stream: true, messages };
  return {
    url: new URL(path, location.href).href,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    protocol,
    label: name,
  };
}

/** Gemini's generateContent request body. */
function geminiBody(prompt) {
  return { contents: [{ role: "user", parts: [{ text: prompt }] }] };
}

/** What the AI SDK's useChat sends (DefaultChatTransport). */
function aiSdkBody(prompt) {
  return {
    id: "streamguard-demo",
    messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: prompt }] }],
    trigger: "submit-message",
  };
}

function flushOption() {
  switch (ui.flush.value) {
    case "immediate":
      return "immediate";
    case "interval":
      return { intervalMs: Math.max(1, Number(ui.flushInterval.value) || 50) };
    case "smooth-word":
      return { smooth: "word" };
    case "smooth-grapheme":
      return { smooth: "grapheme" };
    default:
      return "frame";
  }
}

function num(input) {
  const n = Number(input.value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : 0;
}

async function send() {
  if (!lib || (current && !current.done)) return;
  const req = buildRequest();
  const timeouts = {
    firstByte: num(ui.tFirstByte),
    idle: num(ui.tIdle),
    content: num(ui.tContent),
    total: num(ui.tTotal),
  };
  const controller = new AbortController();
  const run = {
    t0: performance.now(),
    controller,
    done: false,
    protocol: req.protocol,
    timeouts,
    deltas: 0,
    info: null, // onText's live info object (its getters read the running session)
    seen: { bytes: 0, deltas: 0 }, // the stats at the last sample
    lateCallbacks: 0, // callbacks after stream() resolved: must stay 0
    eventsAfterStop: 0, // decoded events delivered after Stop was clicked: must stay 0
    stopClickedAt: null,
    lastStats: null,
    timeline: { now: 0, events: [], deltas: [], flushes: [], end: null },
  };
  current = run;
  resetResult();
  setState("streaming");
  setBadge("streaming", "", `streaming from ${req.label}…`);
  ui.send.disabled = true;
  ui.stop.disabled = false;
  startLiveTimeline(run);

  const rel = () => performance.now() - run.t0;
  let result;
  try {
    result = await lib.stream({
      url: req.url,
      method: req.method,
      headers: req.headers,
      body: req.body,
      protocol: req.protocol,
      firstByteTimeoutMs: timeouts.firstByte,
      idleTimeoutMs: timeouts.idle,
      contentTimeoutMs: timeouts.content,
      totalTimeoutMs: timeouts.total,
      signal: controller.signal,
      flush: flushOption(),
      onText: (delta, info) => {
        if (run.done) noteLate(run);
        if (run !== current) return;
        const t = rel();
        if (!run.info && info) adoptInfo(run, info);
        run.timeline.flushes.push({ t, chars: [...delta].length });
        ui.output.append(document.createTextNode(delta));
        ui.output.dataset.flushes = String(run.timeline.flushes.length);
        ui.output.scrollTop = ui.output.scrollHeight;
        sample(run, t);
      },
      onEvent: (event) => {
        if (run.done) noteLate(run);
        if (run.stopClickedAt !== null) run.eventsAfterStop++;
        if (run !== current || !event) return;
        const t = rel();
        // Keep-alives and other non-text events (thinking, tool calls, meta) arrive at once.
        run.timeline.events.push({ t, keepAlive: event.type === "keep_alive" });
        if (event.type === "thinking" && typeof event.text === "string") {
          ui.thinkingBox.hidden = false;
          ui.thinking.append(document.createTextNode(event.text));
        }
        sample(run, t);
      },
    });
  } catch (e) {
    // stream() resolves for every outcome; a rejection is a bug or a bad option: show it as such.
    result = {
      outcome: "error",
      text: ui.output.textContent,
      error: { code: "exception", message: String(e && e.message ? e.message : e) },
      stats: run.lastStats,
    };
  }
  finish(run, result);
}

function finish(run, result) {
  run.done = true;
  const endT = performance.now() - run.t0;
  run.timeline.now = endT;
  if (result.stats) sample(run, Math.min(endT, result.stats.durationMs ?? endT), result.stats);
  // Always show exactly the final text. If the streamed text and the result disagree, the
  // result wins and the page says so (data-resynced), so a test can catch the discrepancy.
  const finalText = typeof result.text === "string" ? result.text : ui.output.textContent;
  if (ui.output.textContent !== finalText) {
    ui.output.textContent = finalText;
    ui.output.dataset.resynced = "true";
  }
  if (result.thinking) {
    ui.thinkingBox.hidden = false;
    if (ui.thinking.textContent !== result.thinking) ui.thinking.textContent = result.thinking;
  }
  if (Array.isArray(result.toolCalls) && result.toolCalls.length > 0) {
    ui.toolCalls.hidden = false;
    ui.toolCalls.textContent = result.toolCalls
      .map((c) => `tool call ${c.index}: ${c.name ?? "?"}(${c.arguments ?? ""})`)
      .join("\n");
  }
  if (result.stats) renderStats(result.stats, run, result.usage);

  const err = result.error || null;
  const [label, message] = describeOutcome(result, run);
  setBadge(result.outcome, err && err.phase ? err.phase : "", message, label);
  ui.badge.dataset.code = err ? String(err.code) : "";
  if (result.finishReason) ui.badge.dataset.finishReason = result.finishReason;
  if (result.rawFinishReason) ui.badge.dataset.rawFinishReason = result.rawFinishReason;

  // The end marker: when the outcome was reported (the library's duration when it gave one).
  const durationMs = result.stats && Number.isFinite(result.stats.durationMs) ? result.stats.durationMs : endT;
  const end = { t: durationMs, outcome: result.outcome, label };
  if (result.outcome === "stalled") {
    const lastArrival = run.timeline.events.length ? run.timeline.events[run.timeline.events.length - 1].t : 0;
    const lastDelta = run.timeline.deltas.length ? run.timeline.deltas[run.timeline.deltas.length - 1] : 0;
    end.gapFrom = err && err.phase === "content" ? lastDelta : err && err.phase === "idle" ? lastArrival : 0;
    if (err && err.phase === "total") delete end.gapFrom;
  }
  run.timeline.end = end;
  ui.output.dataset.lateCallbacks = String(run.lateCallbacks);
  ui.output.dataset.eventsAfterStop = String(run.eventsAfterStop);
  ui.send.disabled = false;
  ui.stop.disabled = true;
  drawTimeline(ui.timeline, run.timeline);
  setState("done");
}

/** [short label, one-line message] for the badge. */
function describeOutcome(result, run) {
  const err = result.error || {};
  const stats = result.stats || {};
  const kept = keptNote(result, run);
  switch (result.outcome) {
    case "complete": {
      // The normalised reason, and the provider's own string when it differs (end_turn, STOP).
      const raw = result.rawFinishReason && result.rawFinishReason !== result.finishReason ? ` (${result.rawFinishReason})` : "";
      return ["complete", `finish: ${result.finishReason ?? "none"}${raw} · ${stats.deltas ?? run.deltas} deltas`];
    }
    case "truncated":
      return ["truncated", `truncated: ${TERMINATOR[run.protocol] || "no terminator"}, the body ended early${kept}`];
    case "stalled": {
      const phase = err.phase || "?";
      const limit = { first_byte: run.timeouts.firstByte, idle: run.timeouts.idle, content: run.timeouts.content, total: run.timeouts.total }[phase];
      const after = limit ? ` after ${limit} ms` : "";
      return [`stalled: ${phase}`, `stalled at ${phase}${after}${kept}`];
    }
    case "aborted":
      return ["aborted", `aborted by Stop after ${Math.round(stats.durationMs ?? 0)} ms${kept}`];
    case "http_error": {
      const ra = err.retryAfterMs != null ? ` · retry after ${err.retryAfterMs} ms` : "";
      return [`HTTP ${err.status ?? "error"}`, `HTTP ${err.status ?? "?"}: ${err.message ?? ""}${ra}`];
    }
    case "provider_error": {
      const who = [err.provider, err.type].filter(Boolean).join(" ");
      const retry = err.retryable ? " (retryable)" : "";
      return ["provider error", `${who ? who + ": " : ""}${err.message ?? ""}${retry}${kept}`];
    }
    case "protocol_error":
      return ["protocol error", `${err.code ?? "protocol_error"}: ${err.message ?? ""}${kept}`];
    case "network_error":
      return ["network error", `${err.message ?? "the connection failed"}${kept}`];
    default:
      return [String(result.outcome), `${err.code ?? ""}: ${err.message ?? ""}`];
  }
}

// Byte arrivals and content deltas are sampled from the live stats (onText's `info` reads the
// running session) on every animation frame and every callback: text is batched, so there is no
// per-delta callback to time. Resolution: one frame.
function adoptInfo(run, info) {
  run.info = info;
  const s = info.stats;
  // What happened before the first flush: the first byte and the first token, at their times.
  if (s && s.ttfbMs != null) {
    run.timeline.events.push({ t: s.ttfbMs, keepAlive: false });
    run.seen.bytes = 0;
  }
  if (s && s.ttftMs != null && s.deltas > 0) {
    run.timeline.deltas.push(s.ttftMs);
    run.seen.deltas = 1;
  }
}

function sample(run, t, stats) {
  const s = stats || (run.info && !run.done ? run.info.stats : null);
  if (!s) return;
  if (s.bytes > run.seen.bytes) {
    if (run.seen.bytes > 0 || run.timeline.events.length === 0) run.timeline.events.push({ t, keepAlive: false });
    run.seen.bytes = s.bytes;
  }
  for (let i = run.seen.deltas; i < s.deltas; i++) run.timeline.deltas.push(t);
  run.seen.deltas = Math.max(run.seen.deltas, s.deltas);
  run.deltas = run.seen.deltas;
  ui.output.dataset.deltas = String(run.deltas);
  run.lastStats = s;
  renderStats(s, run);
}

/** A callback after stream() resolved would be a library bug: count it where a test can see it. */
function noteLate(run) {
  run.lateCallbacks++;
  if (run === current) ui.output.dataset.lateCallbacks = String(run.lateCallbacks);
}

function keptNote(result, run) {
  const n = (result.stats && result.stats.deltas) ?? run.deltas;
  return result.text ? ` · ${n} deltas kept` : "";
}

// ---------------------------------------------------------------------------------------------
// Rendering helpers

function setState(state) {
  document.body.dataset.state = state;
}

function setBadge(outcome, phase, message, label) {
  ui.badge.dataset.outcome = outcome;
  ui.badge.dataset.phase = phase || "";
  ui.badge.textContent = label || outcome;
  ui.badgeMessage.textContent = message;
}

function resetResult() {
  ui.output.textContent = "";
  ui.output.dataset.deltas = "0";
  ui.output.dataset.flushes = "0";
  delete ui.output.dataset.resynced;
  delete ui.output.dataset.lateCallbacks;
  delete ui.output.dataset.eventsAfterStop;
  delete ui.badge.dataset.code;
  delete ui.badge.dataset.finishReason;
  delete ui.badge.dataset.rawFinishReason;
  ui.thinking.textContent = "";
  ui.thinkingBox.hidden = true;
  ui.toolCalls.textContent = "";
  ui.toolCalls.hidden = true;
  for (const dd of ui.stats.querySelectorAll("dd[data-stat]")) {
    dd.textContent = "–";
    delete dd.dataset.value;
  }
}

function ms(v) {
  return v == null ? "–" : `${Math.round(v)} ms`;
}

function setStat(name, text, value) {
  const dd = ui.stats.querySelector(`dd[data-stat="${name}"]`);
  if (!dd) return;
  dd.textContent = text;
  if (value == null) delete dd.dataset.value;
  else dd.dataset.value = String(value);
}

function renderStats(s, run, usage) {
  setStat("ttfb", ms(s.ttfbMs), s.ttfbMs);
  setStat("ttft", ms(s.ttftMs), s.ttftMs);
  setStat("duration", ms(s.durationMs), s.durationMs);
  setStat("bytes", fmtInt(s.bytes), s.bytes);
  setStat("events", fmtInt(s.events), s.events);
  setStat("deltas", fmtInt(s.deltas), s.deltas);
  setStat("keepAlives", fmtInt(s.keepAlives), s.keepAlives);
  setStat("flushes", fmtInt(s.flushes), s.flushes);
  setStat("maxByteGap", ms(s.maxByteGapMs) + (s.buffered ? " (buffered!)" : ""), s.maxByteGapMs);
  const rate = tokenRate(s, run, usage);
  setStat("rate", rate == null ? "–" : rate.toFixed(1), rate == null ? null : rate.toFixed(1));
}

/** Output tokens per second after the first token: usage when sent, else content deltas. */
function tokenRate(s, run, usage) {
  // Measured between the first and the last content delta, so a stall after the last token does
  // not drag the rate down: the stall is reported on its own.
  const d = run.timeline.deltas;
  if (d.length < 2) return null;
  const span = d[d.length - 1] - d[0];
  if (span <= 0) return null;
  const tokens = usage && usage.outputTokens ? usage.outputTokens * ((d.length - 1) / d.length) : d.length - 1;
  return tokens / (span / 1000);
}

function fmtInt(v) {
  return v == null ? "–" : Number(v).toLocaleString("en-US");
}

function startLiveTimeline(run) {
  let lastDraw = 0;
  const tick = (now) => {
    if (run !== current || run.done) return;
    run.timeline.now = now - run.t0;
    sample(run, run.timeline.now);
    if (now - lastDraw > 80) {
      drawTimeline(ui.timeline, run.timeline);
      lastDraw = now;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

main();
