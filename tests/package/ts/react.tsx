// streamguard/react's types, used the way a component does (compiled, not run).
import type { Outcome, Stats, StreamResult } from "streamguard";
import { useStream, type StreamStatus, type UseStream } from "streamguard/react";

export function Chat({ prompt }: { prompt: string }) {
  const s: UseStream = useStream({ url: "/v1/chat/completions", protocol: "openai", idleTimeoutMs: 15000 });
  const text: string = s.text;
  const status: StreamStatus = s.status;
  const stats: Stats | null = s.stats;
  void text, status, stats;
  if (s.status === "idle" || s.status === "streaming") {
    const none: null = s.result;
    void none;
  } else {
    const outcome: Outcome = s.status;
    const result: StreamResult = s.result;
    void outcome, result;
  }
  if (s.result !== null && s.result.outcome === "stalled") {
    const phase: "first_byte" | "idle" | "content" | "total" = s.result.error.phase;
    void phase;
  }
  const send = (): Promise<StreamResult> => s.start({ body: JSON.stringify({ stream: true, prompt }) });
  // @ts-expect-error: overrides are stream options.
  void s.start({ bogus: 1 });
  return (
    <div>
      <button onClick={() => void send()} disabled={s.status === "streaming"}>
        Send
      </button>
      <button onClick={s.abort}>Stop</button>
      <p>{s.status}</p>
      <pre>{s.text}</pre>
    </div>
  );
}

export function Badge() {
  const s = useStream({ url: "/v1/chat/completions" });
  switch (s.status) {
    case "idle":
    case "streaming":
      return <p>{s.status}</p>;
    case "stalled":
      return <p>stalled ({s.result.error.phase}) after {s.result.text.length} characters</p>;
    case "http_error":
      return <p>HTTP {s.result.error.status}</p>;
    case "complete": {
      const none: null = s.result.error;
      void none;
      return <p>done</p>;
    }
    default:
      return <p>{s.result.error.message}</p>;
  }
}
