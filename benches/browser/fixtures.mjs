// The benchmark's streams: four shapes, generated from a seed, with the text each must yield.
//
// `benches/session.rs` holds the same generator in Rust (the native benchmark): both produce
// the same bytes for the same seed, and both print each fixture's size and FNV-1a digest so the
// two can be compared at a glance.
//
//   openai  20,000 chat.completion.chunk events (role chunk first, finish chunk, usage chunk,
//           [DONE]), a `: keep-alive` comment every 1,000 events, 8% of the tokens (~4% of the
//           characters) non-ASCII (accents, CJK, Cyrillic, Greek, emoji incl. a skin-tone
//           sequence), raw UTF-8.
//   anthropic  message_start, content_block_start, ping, 20,000 content_block_delta text_delta
//           events (a ping every 1,000), content_block_stop, message_delta, message_stop.
//   line    one chat chunk whose content is ~4 MiB on one data line, non-ASCII written as
//           `\uXXXX` escapes (astral characters as surrogate pairs), like Python's json.dumps.
//   tiny    200,000 chat chunks of 1-3 characters each, 4% of the characters non-ASCII (a
//           compact OpenAI-compatible server: model and delta only).

export const SEED = 0x5eed2026;

/// xorshift32: small, and the same in Rust (u32 wrapping) and here (`>>> 0`).
export class Rng {
  constructor(seed) {
    this.s = seed >>> 0 || 1;
  }
  next() {
    let x = this.s;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.s = x;
    return x;
  }
  below(n) {
    return this.next() % n;
  }
  pick(list) {
    return list[this.below(list.length)];
  }
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";

export const ASCII_TOKENS = [
  " the", " a", " stream", " of", " tokens", " and", " to", " in", " is", " that", " it", " for",
  " with", " as", " on", " model", " browser", " reader", " parser", " event", " chunk", " text",
  " delta", " frame", " JSON", " fetch", " wasm", " response", " latency", ",", ".", ":", " (",
  ")", "\n", "\n\n", " \"", "\"", " `x`", "\\", " 42", " -", " **bold**",
];
export const NON_ASCII_TOKENS = [
  " café", " naïve", " über", " 日本語", "の", " 中文", " 한국어", " 😀", "🚀", " 👍🏽", " Ωμέγα",
  " привет", "—", "…", " 𝔘𝔫𝔦",
];
const TINY_ASCII = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ.,!?0123456789";
const TINY_NON_ASCII = ["é", "ü", "ñ", "日", "本", "語", "中", "—", "😀", "🚀"];

function chars(rng, alphabet, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[rng.below(alphabet.length)];
  return s;
}

/// A token: `percent`% from the non-ASCII list, else ASCII.
function token(rng, percent) {
  return rng.below(100) < percent ? rng.pick(NON_ASCII_TOKENS) : rng.pick(ASCII_TOKENS);
}

/// A JSON string with raw UTF-8 (what OpenAI and Anthropic send). Only `"`, `\` and control
/// characters are escaped; the token lists contain no control character but `\n`.
export function jsonString(s) {
  let out = '"';
  for (const ch of s) {
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else out += ch;
  }
  return out + '"';
}

/// A JSON string in ASCII: every UTF-16 unit above 0x7f as `\uXXXX` (lowercase hex), so
/// astral characters become surrogate pairs.
export function jsonStringAscii(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c > 0x7f) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

function openaiHead(rng) {
  const id = "chatcmpl-" + chars(rng, ALNUM, 29);
  const created = 1731024000 + rng.below(86400);
  const fp = "fp_" + chars(rng, HEX, 10);
  return `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"${fp}","choices":[`;
}

function openaiDelta(head, contentJson) {
  return `data: ${head}{"index":0,"delta":{"content":${contentJson}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
}

function openaiTail(rng, head, completionTokens) {
  const prompt = 20 + rng.below(2000);
  return (
    `data: ${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n` +
    `data: ${head}],"usage":{"prompt_tokens":${prompt},"completion_tokens":${completionTokens},"total_tokens":${prompt + completionTokens},` +
    `"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n` +
    "data: [DONE]\n\n"
  );
}

function openaiRole(head) {
  return `data: ${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
}

export function openai(rng, chunks = 20000) {
  const head = openaiHead(rng);
  const parts = [openaiRole(head)];
  let text = "";
  for (let i = 1; i <= chunks; i++) {
    const tok = token(rng, 8);
    text += tok;
    parts.push(openaiDelta(head, jsonString(tok)));
    if (i % 1000 === 0) parts.push(": keep-alive\n\n");
  }
  parts.push(openaiTail(rng, head, chunks));
  return { wire: parts.join(""), text };
}

export function anthropic(rng, deltas = 20000) {
  const ev = (name, data) => `event: ${name}\ndata: ${data}\n\n`;
  const id = "msg_01" + chars(rng, ALNUM, 22);
  const input = 20 + rng.below(2000);
  const parts = [
    ev(
      "message_start",
      `{"type":"message_start","message":{"id":"${id}","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${input},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`,
    ),
    ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
    ev("ping", `{"type": "ping"}`),
  ];
  let text = "";
  for (let i = 1; i <= deltas; i++) {
    const tok = token(rng, 8);
    text += tok;
    parts.push(
      ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${jsonString(tok)}}}`),
    );
    if (i % 1000 === 0) parts.push(ev("ping", `{"type": "ping"}`));
  }
  parts.push(
    ev("content_block_stop", `{"type":"content_block_stop","index":0}`),
    ev(
      "message_delta",
      `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":${deltas}}}`,
    ),
    ev("message_stop", `{"type":"message_stop"}`),
  );
  return { wire: parts.join(""), text };
}

/// One data line of about `lineBytes`: the content escaped to ASCII, 10% non-ASCII tokens.
export function line(rng, lineBytes = 4 * 1024 * 1024) {
  const head = openaiHead(rng);
  const before = `data: ${head}{"index":0,"delta":{"content":`;
  const after = `},"logprobs":null,"finish_reason":null}],"usage":null}`;
  const budget = lineBytes - before.length - after.length;
  const texts = [];
  const escaped = [];
  let len = 2; // the quotes
  while (len < budget) {
    const tok = token(rng, 10);
    const esc = jsonStringAscii(tok).slice(1, -1);
    texts.push(tok);
    escaped.push(esc);
    len += esc.length;
  }
  const wire = openaiRole(head) + before + '"' + escaped.join("") + '"' + after + "\n\n" + openaiTail(rng, head, 1);
  return { wire, text: texts.join("") };
}

export function tiny(rng, chunks = 200000) {
  const pre = `data: {"model":"llama3","choices":[{"index":0,"delta":{"content":`;
  const parts = [];
  const texts = [];
  for (let i = 0; i < chunks; i++) {
    const n = 1 + rng.below(3);
    let tok = "";
    for (let k = 0; k < n; k++) {
      tok += rng.below(100) < 4 ? rng.pick(TINY_NON_ASCII) : TINY_ASCII[rng.below(TINY_ASCII.length)];
    }
    texts.push(tok);
    parts.push(pre + jsonString(tok) + "}}]}\n\n");
  }
  parts.push(`data: {"model":"llama3","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`);
  parts.push("data: [DONE]\n\n");
  return { wire: parts.join(""), text: texts.join("") };
}

/// The four fixtures, each from its own RNG seeded with `SEED + i`.
export const FIXTURES = [
  { name: "openai", protocol: "openai", label: "20,000 OpenAI chat chunks", make: openai },
  { name: "anthropic", protocol: "anthropic", label: "20,000 Anthropic text deltas", make: anthropic },
  { name: "line", protocol: "openai", label: "one 4 MiB data line (\\uXXXX escapes)", make: line },
  { name: "tiny", protocol: "openai", label: "200,000 tiny chunks (1-3 chars)", make: tiny },
];

export function generate(fixture, index) {
  const { wire, text } = fixture.make(new Rng(SEED + index));
  return { wire: new TextEncoder().encode(wire), text };
}

/// FNV-1a, 32 bits: the digest both generators print.
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
