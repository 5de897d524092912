// Compile-checked against pkg/index.d.ts (`tsc -p tests/ts/tsconfig.json`, run by
// scripts/web-test.sh): every name of the JS API, used the way the README shows. Not run.
import init, {
  guard,
  open,
  stream,
  type GuardOptions,
  type GuardStream,
  type ErrorCode,
  type FinishReason,
  type FlushMode,
  type Outcome,
  type Protocol,
  type RetryPolicy,
  type StallPhase,
  type Stats,
  type StreamError,
  type StreamEvent,
  type StreamHandle,
  type StreamOptions,
  type StreamResult,
  type TextInfo,
  type ToolCall,
  type Usage,
} from "streamguard";

async function main(): Promise<void> {
  await init();

  const controller = new AbortController();
  const protocols: Protocol[] = ["openai", "openai-responses", "anthropic", "ollama", "gemini", "ai-sdk", "sse", "text", "auto"];
  const flushes: FlushMode[] = ["frame", "immediate", { intervalMs: 50 }, { smooth: "word" }, { smooth: "grapheme" }];
  const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 30000 };

  let shown = "";
  const options: StreamOptions = {
    url: "https://api.example.com/v1/chat/completions",
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer x" },
    body: JSON.stringify({ model: "m", stream: true, messages: [] }),
    credentials: "omit",
    protocol: protocols[0] ?? "auto",
    firstByteTimeoutMs: 1000,
    idleTimeoutMs: 500,
    contentTimeoutMs: 1500,
    totalTimeoutMs: 5000,
    maxEventBytes: 8 * 1024 * 1024,
    maxTextBytes: 64 * 1024 * 1024,
    signal: controller.signal,
    flush: flushes[0] ?? "frame",
    retry,
    onText: (delta: string, info: TextInfo) => {
      shown += delta;
      const all: string = info.text;
      const stats: Stats = info.stats;
      const ttft: number | null = stats.ttftMs;
      void all, ttft;
    },
    onEvent: (event: StreamEvent) => {
      switch (event.type) {
        case "tool_call": {
          const args: string = event.arguments;
          const id: string | null = event.id;
          void args, id;
          break;
        }
        case "thinking": {
          const t: string = event.text;
          void t;
          break;
        }
        case "usage": {
          const n: number | null = event.outputTokens;
          void n;
          break;
        }
        case "finish": {
          const r: FinishReason = event.reason;
          const raw: string | null = event.raw;
          void r, raw;
          break;
        }
        case "meta": {
          const name: string = event.name;
          void name;
          break;
        }
        case "keep_alive":
          break;
      }
    },
  };

  // stream(): resolves for every outcome.
  const result: StreamResult = await stream(options);
  const outcome: Outcome = result.outcome;
  const text: string = result.text;
  const thinking: string = result.thinking;
  const finish: FinishReason | null = result.finishReason;
  const rawFinish: string | null = result.rawFinishReason;
  const calls: ToolCall[] = result.toolCalls;
  const usage: Usage | null = result.usage;
  const stats: Stats = result.stats;
  const numbers: number[] = [stats.durationMs, stats.bytes, stats.events, stats.keepAlives, stats.deltas,
    stats.flushes, stats.maxByteGapMs, stats.maxContentGapMs];
  const maybe: (number | null)[] = [stats.headersMs, stats.ttfbMs, stats.ttftMs];
  const buffered: boolean = stats.buffered;
  void outcome, text, thinking, finish, rawFinish, calls, usage, numbers, maybe, buffered, shown;

  const error: StreamError | null = result.error;
  if (error !== null) {
    const code: ErrorCode = error.code;
    const message: string = error.message;
    const provider: string | null = error.provider;
    const type: string | null = error.type;
    const retryable: boolean | null = error.retryable;
    void code, message, provider, type, retryable;
    // `code` narrows the error to its fields.
    switch (error.code) {
      case "stalled": {
        const phase: StallPhase = error.phase;
        const elapsed: number = error.elapsedMs;
        void phase, elapsed;
        break;
      }
      case "http_error": {
        const status: number = error.status;
        const retryAfterMs: number | undefined = error.retryAfterMs;
        const again: boolean = error.retryable;
        void status, retryAfterMs, again;
        break;
      }
      case "provider_error": {
        const again: boolean = error.retryable;
        const providerCode: string | undefined = error.providerCode;
        const index: number | undefined = error.eventIndex;
        void again, providerCode, index;
        break;
      }
      case "invalid_json":
      case "invalid_event":
      case "unexpected_content_type":
      case "event_too_large":
      case "text_too_large": {
        const index: number | undefined = error.eventIndex;
        void index;
        break;
      }
      case "truncated":
      case "aborted":
      case "network_error":
        break;
      default: {
        const never: never = error;
        void never;
      }
    }
    // @ts-expect-error: only a stalled error has a phase.
    void error.phase;
  }
  // `outcome` narrows the result: complete has no error, every other outcome has one.
  if (result.outcome === "complete") {
    const none: null = result.error;
    void none;
  } else {
    const message: string = result.error.message;
    void message;
  }
  if (result.outcome === "stalled") {
    const phase: StallPhase = result.error.phase;
    void phase;
  }
  if (result.outcome === "http_error") {
    const status: number = result.error.status;
    void status;
  }
  switch (result.outcome) {
    case "complete":
    case "truncated":
    case "stalled":
    case "aborted":
    case "http_error":
    case "provider_error":
    case "protocol_error":
    case "network_error":
      break;
    default: {
      const never: never = result;
      void never;
    }
  }

  // open(): the handle is an async iterator of batched text.
  const handle: StreamHandle = open({ url: new URL("https://api.example.com/v1/messages"), protocol: "anthropic" });
  for await (const delta of handle) {
    const d: string = delta;
    void d;
  }
  const r2: StreamResult = await handle.result;

  // SSE resume: a raw `sse` GET stream reconnects with Last-Event-ID after the `retry:` value.
  const resume: RetryPolicy = { maxAttempts: 3, resume: true };
  const resumed: StreamResult = await stream({
    url: "https://example.com/events",
    protocol: "sse",
    retry: resume,
    onText: (delta: string) => { shown += delta; },
  });
  const resumedText: string = resumed.text;
  void resumedText;
  handle.abort();
  handle.free();
  const it: AsyncIterator<string> = handle[Symbol.asyncIterator]();
  const step: IteratorResult<string, undefined> = await handle.next();
  void r2, it, step;

  // Disposal aborts a running request: `using` / `await using`, or by hand.
  {
    using scoped = open({ url: "/v1/chat/completions", flush: "immediate" });
    const first: IteratorResult<string, undefined> = await scoped.next();
    void first;
  }
  {
    await using later = open({ url: "/v1/chat/completions" });
    void later;
  }
  const manual: StreamHandle = open({ url: "/v1/chat/completions" });
  manual[Symbol.dispose]();
  const disposed: Promise<void> = manual[Symbol.asyncDispose]();
  await disposed;

  // Minimal options: only the URL.
  await stream({ url: "/v1/chat/completions" });

  // Bring your own transport: a Response, a fetch, every RequestInit field, any BodyInit.
  const response: Response = await fetch("/v1/chat/completions");
  const fromResponse: StreamResult = await stream({ response, protocol: "openai" });
  const myFetch = (input: string, init: RequestInit): Promise<Response> => fetch(input, init);
  const bodies: BodyInit[] = ["{}", new Blob(["{}"]), new ArrayBuffer(2), new Uint8Array(2), new FormData(), new URLSearchParams("a=1")];
  await stream({
    url: "/v1/chat/completions", fetch: myFetch, body: bodies[1] ?? "{}", mode: "cors", cache: "no-store",
    redirect: "follow", referrer: "", referrerPolicy: "no-referrer", integrity: "", keepalive: false, priority: "high",
  });
  const gopts: GuardOptions = { protocol: "openai", idleTimeoutMs: 500, flush: "immediate", signal: controller.signal,
    onText: (delta: string) => { shown += delta; }, onEvent: (e: StreamEvent) => void e };
  const g: GuardStream = guard(gopts);
  const t: TransformStream<Uint8Array, string> = guard();
  const piped: ReadableStream<string> = response.body ? response.body.pipeThrough(g) : t.readable;
  const guarded: StreamResult = await g.result;
  g.abort();
  void fromResponse, piped, guarded;
}

// @ts-expect-error: guard() makes no request.
void guard({ url: "x" });
// @ts-expect-error: unknown protocol.
void stream({ url: "x", protocol: "gopher" });
// @ts-expect-error: timeouts are numbers.
void stream({ url: "x", idleTimeoutMs: "500" });
// @ts-expect-error: bad flush mode.
void stream({ url: "x", flush: { smooth: "sentence" } });

void main;
