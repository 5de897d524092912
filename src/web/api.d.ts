// The TypeScript declarations of the JS API. wasm-bindgen copies this file into the generated
// streamguard.d.ts of a build with the `js-api` exports (src/web/api.rs); scripts/build-wasm.sh
// makes the npm package's index.d.ts from it (with npm/init.d.ts). tests/ts_vocabulary.rs
// checks every string union and field list below against what the Rust side produces; keep one
// declaration per line where it lists a vocabulary.

/** The wire protocols. `"auto"` decides from the Content-Type and the first event. */
export type Protocol =
  | "openai" | "openai-responses" | "anthropic" | "ollama" | "gemini" | "ai-sdk" | "sse" | "text"
  | "auto";

/** How a stream ended. Every outcome carries the text received before it. */
export type Outcome =
  | "complete" | "truncated" | "stalled" | "aborted" | "http_error"
  | "provider_error" | "protocol_error" | "network_error";

/** Why the model stopped, normalised across providers. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

/** Which timer fired. */
export type StallPhase = "first_byte" | "idle" | "content" | "total";

/** The error codes of the `protocol_error` outcome. */
export type ProtocolErrorCode =
  | "unexpected_content_type" | "invalid_json" | "invalid_event" | "event_too_large"
  | "text_too_large";

/** The stable error codes (`result.error.code`). */
export type ErrorCode =
  | "truncated" | "stalled" | "aborted" | "http_error" | "provider_error" | ProtocolErrorCode
  | "network_error";

/**
 * How text deltas are batched before `onText`: at most once per animation frame (default),
 * every delta at once, at most once every `intervalMs`, or a steady reveal by word/grapheme.
 */
export type FlushMode = "frame" | "immediate" | { intervalMs: number } | { smooth: "word" | "grapheme" };

/**
 * Retries before any content, as the policy allows (off by default), and the SSE resume of
 * raw `sse` GET streams.
 */
export interface RetryPolicy {
  /** Attempts in all, including the first, reconnects included (default 3 when a policy object is given). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest `Retry-After` (or `retry:` of a resumed stream) honoured; a longer one ends retrying. */
  maxRetryAfterMs?: number;
  /**
   * Raw SSE over GET only (`protocol: "sse"`, no body; otherwise a TypeError): after a reset,
   * a cut or an idle/content stall, reconnect with `Last-Event-ID` after the stream's `retry:`
   * value (else the backoff) and continue the same text: `onText` gets every event once and
   * the result (resolved once, at the very end) carries all of it, with cumulative stats.
   * Needs a server that honours `Last-Event-ID`. Default false.
   */
  resume?: boolean;
}

/** Measurements; times in ms from the request start, `null` when the moment never came. */
export interface Stats {
  headersMs: number | null;
  ttfbMs: number | null;
  ttftMs: number | null;
  durationMs: number;
  bytes: number;
  events: number;
  keepAlives: number;
  deltas: number;
  flushes: number;
  maxByteGapMs: number;
  maxContentGapMs: number;
  /** The whole body arrived in one burst after a long wait (a buffering proxy). */
  buffered: boolean;
}

/**
 * What every `result.error` has. `provider`, `type` and `retryable` are always present (`null`
 * when unknown); optional fields are omitted when absent. `message` is for humans: match on
 * `code`, which narrows `StreamError` to the fields that code carries.
 */
export interface ErrorBase {
  code: ErrorCode;
  message: string;
  /** The provider that described the error: `"openai"`, `"anthropic"`, `"gemini"`, ... */
  provider: string | null;
  /** The provider's error type (`"overloaded_error"`, `"rate_limit_exceeded"`, ...). */
  type: string | null;
  /** Whether retrying the same request may succeed. */
  retryable: boolean | null;
}

/** The body ended before the provider's end signal. */
export interface TruncatedError extends ErrorBase {
  code: "truncated";
}

/** A timer fired. */
export interface StalledError extends ErrorBase {
  code: "stalled";
  /** Which timer. */
  phase: StallPhase;
  /** From the request start to the moment the timer fired. */
  elapsedMs: number;
}

/** The caller's `AbortSignal`, `abort()`, or a disposed handle. */
export interface AbortedError extends ErrorBase {
  code: "aborted";
}

/** A non-2xx response; `provider`, `type` and `providerCode` when its body was a provider's error. */
export interface HttpError extends ErrorBase {
  code: "http_error";
  status: number;
  /** From `Retry-After` (or the provider's own hint), when sent. */
  retryAfterMs?: number;
  providerCode?: string;
  retryable: boolean;
}

/** An error inside a 2xx stream (or a JSON error body where a stream was expected). */
export interface ProviderError extends ErrorBase {
  code: "provider_error";
  retryAfterMs?: number;
  /** The provider's error code, when it sent one. */
  providerCode?: string;
  /** The 0-based index of the event that carried the error. */
  eventIndex?: number;
  retryable: boolean;
}

/** The bytes were not the expected protocol, or a cap was reached. */
export interface ProtocolError extends ErrorBase {
  code: ProtocolErrorCode;
  /** The 0-based index of the offending event or line. */
  eventIndex?: number;
}

/** Refused, reset, an incomplete body, DNS, CORS. */
export interface NetworkError extends ErrorBase {
  code: "network_error";
}

/** `result.error`: narrow it on `code` (or the result on `outcome`). */
export type StreamError =
  | TruncatedError
  | StalledError
  | AbortedError
  | HttpError
  | ProviderError
  | ProtocolError
  | NetworkError;

export interface ToolCall {
  index: number;
  id: string | null;
  name: string | null;
  /** The argument fragments concatenated (JSON text, possibly incomplete on truncation). */
  arguments: string;
}

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
}

/** What every result carries, whatever the outcome. */
export interface ResultBase {
  outcome: Outcome;
  /** Everything received, also when the stream failed. */
  text: string;
  thinking: string;
  finishReason: FinishReason | null;
  /** The provider's own finish reason, exactly as sent (`null` when it sent none). */
  rawFinishReason: string | null;
  toolCalls: ToolCall[];
  usage: Usage | null;
  /** `null` exactly when `outcome` is `"complete"`. */
  error: StreamError | null;
  stats: Stats;
}

/** The provider signalled the end. */
export interface CompleteResult extends ResultBase {
  outcome: "complete";
  error: null;
}
export interface TruncatedResult extends ResultBase {
  outcome: "truncated";
  error: TruncatedError;
}
export interface StalledResult extends ResultBase {
  outcome: "stalled";
  error: StalledError;
}
export interface AbortedResult extends ResultBase {
  outcome: "aborted";
  error: AbortedError;
}
export interface HttpErrorResult extends ResultBase {
  outcome: "http_error";
  error: HttpError;
}
export interface ProviderErrorResult extends ResultBase {
  outcome: "provider_error";
  error: ProviderError;
}
export interface ProtocolErrorResult extends ResultBase {
  outcome: "protocol_error";
  error: ProtocolError;
}
export interface NetworkErrorResult extends ResultBase {
  outcome: "network_error";
  error: NetworkError;
}

/**
 * What `stream()` and `handle.result` resolve to, for every outcome: a union discriminated on
 * `outcome` (`"complete"` has `error: null`, every other outcome its `StreamError`).
 */
export type StreamResult =
  | CompleteResult
  | TruncatedResult
  | StalledResult
  | AbortedResult
  | HttpErrorResult
  | ProviderErrorResult
  | ProtocolErrorResult
  | NetworkErrorResult;

/** The decoded non-text events passed to `onEvent` (text goes to `onText`). */
export type StreamEvent =
  | { type: "thinking"; text: string }
  | { type: "tool_call"; index: number; id: string | null; name: string | null; arguments: string }
  | { type: "usage"; inputTokens: number | null; outputTokens: number | null }
  | { type: "finish"; reason: FinishReason; raw: string | null }
  | { type: "keep_alive" }
  | { type: "meta"; name: string };

/** The second argument of `onText`: live getters (after the end: the final values). */
export interface TextInfo {
  /** Everything received so far (computed when read). */
  readonly text: string;
  /** The live stats (computed when read). */
  readonly stats: Stats;
}

export interface StreamOptions {
  /** What to fetch. Exactly one of `url` and `response`. */
  url?: string | URL;
  /** Defaults to POST when `body` is set, GET otherwise. */
  method?: string;
  headers?: HeadersInit;
  /** A string, Blob, ArrayBuffer, typed array, DataView, FormData or URLSearchParams. */
  body?: BodyInit;
  credentials?: RequestCredentials;
  /** Default `"auto"`. */
  protocol?: Protocol;
  /** Request until the first body byte (headers do not count). 0 = off. Default 60000. */
  firstByteTimeoutMs?: number;
  /** The longest silence between body bytes. 0 = off. Default 30000. */
  idleTimeoutMs?: number;
  /** The longest time without a content delta (pings do not count). 0 = off. Default 120000. */
  contentTimeoutMs?: number;
  /** The whole request. 0 = off. Default 600000. */
  totalTimeoutMs?: number;
  /** Cap on one line or event, in bytes. */
  maxEventBytes?: number;
  /** Cap on the accumulated text, in bytes. */
  maxTextBytes?: number;
  /** Aborting it resolves the stream with `"aborted"` (already aborted: at once, no request). */
  signal?: AbortSignal;
  /** Default `"frame"`. */
  flush?: FlushMode;
  retry?: RetryPolicy;
  /** Batched text. Never called after the result. */
  onText?: (delta: string, info: TextInfo) => void;
  /** Tool-call deltas, thinking, usage and other decoded events. Never called after the result. */
  onEvent?: (event: StreamEvent) => void;
}

/**
 * Streams one request and resolves with its result for EVERY outcome (aborts and stalls
 * included: the partial text is in the result). Rejects only for invalid options, with a
 * `TypeError` naming the option (or when the wasm cannot be loaded).
 */
export function stream(options: StreamOptions): Promise<StreamResult>;

/**
 * Starts one request and returns its handle at once. Throws a `TypeError` for invalid options.
 */
export function open(options: StreamOptions): StreamHandle;

/**
 * A running request: an async iterator of batched text, its `result`, and `abort()`.
 * Freeing or disposing it (`free()`, `using`, `await using`) before the end aborts the
 * request. Leaving a `for await` loop early (`break`, `throw`) aborts it too.
 */
export interface StreamHandle extends AsyncIterableIterator<string> {
  /** Resolves with the result, for every outcome. */
  readonly result: Promise<StreamResult>;
  /** Aborts the request (a no-op once it ended). */
  abort(): void;
  /** The text flushed since the last call (coalesced); done after the final flush. */
  next(): Promise<IteratorResult<string, undefined>>;
  /** Aborts the request; called by `for await` when the loop is left early. */
  return(): Promise<IteratorResult<string, undefined>>;
  [Symbol.asyncIterator](): StreamHandle;
  /** Releases the handle; aborts the request if it is still running. */
  free(): void;
  /** `using`: aborts the request if it is still running. */
  [Symbol.dispose](): void;
  /** `await using`: aborts the request if it is still running; resolves once it ended. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Bring your own transport (merged into `StreamOptions` above). */
export interface StreamOptions {
  /**
   * A Response the caller already has (from its own fetch wrapper or an SDK), guarded instead
   * of fetching `url`: status and Content-Type checked, body decoded, every timer counted from
   * the call; abort and every timer cancel its body. Exclusive with `url` (a TypeError names
   * both); `retry`, `fetch` and the request fields need `url`. Its body must be unused and
   * unlocked.
   */
  response?: Response;
  /** Called instead of the global fetch, once per attempt (required where there is none). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  mode?: RequestMode;
  cache?: RequestCache;
  redirect?: RequestRedirect;
  referrer?: string;
  referrerPolicy?: ReferrerPolicy;
  integrity?: string;
  keepalive?: boolean;
  priority?: "high" | "low" | "auto";
}

/** The options of `guard()`: the stream options without a request. */
export type GuardOptions = Pick<StreamOptions,
  | "protocol" | "firstByteTimeoutMs" | "idleTimeoutMs" | "contentTimeoutMs" | "totalTimeoutMs"
  | "maxEventBytes" | "maxTextBytes" | "signal" | "flush" | "onText" | "onEvent">;

/**
 * `response.body.pipeThrough(guard({ protocol: "openai" }))`: bytes in, batched text out (the
 * flush modes of `stream()`), the timers running from `guard()` while the pipe is open. On a
 * stall, an abort or an error it enqueues the text so far, closes its readable side and errors
 * its writable side, so that the pipe cancels its source (a fetch body: the server sees the
 * disconnect), and resolves `result`. Cancelling the readable side is an abort; the pipe's
 * source failing is a `network_error`. A chunk that is not a Uint8Array (or another
 * ArrayBuffer view) errors the stream with a TypeError, which `result` rejects with.
 */
export interface GuardStream extends TransformStream<Uint8Array, string> {
  /** Resolves with the result, for every outcome. */
  readonly result: Promise<StreamResult>;
  /** Ends the stream `aborted` (a no-op once it ended). */
  abort(): void;
}

/** A TransformStream that guards the bytes piped through it. Throws a TypeError for invalid options. */
export function guard(options?: GuardOptions): GuardStream;

declare global {
  // `Symbol.dispose` and `Symbol.asyncDispose` for a project whose `lib` lacks
  // `esnext.disposable` (the same declarations as TypeScript's own lib, which they merge with).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}
