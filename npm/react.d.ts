// streamguard/react: the React hook. React (>= 18) is an optional peer dependency of
// streamguard: only this entry imports it.
import type { Outcome, Stats, StreamOptions, StreamResult } from "./index.js";

/** `"idle"` before the first `start()`, `"streaming"` until the result, then its outcome. */
export type StreamStatus = "idle" | "streaming" | Outcome;

/** What every state of `useStream` has. */
export interface StreamControls {
  /** The text so far (the whole text once the result is in). */
  text: string;
  /** The live stats while streaming (`null` before the first text), then the result's. */
  stats: Stats | null;
  /**
   * Starts a request with the hook's options and `requestOverrides` merged over them (a new
   * `body`, `url`, `headers`, ...), aborting the one running. Resolves with its result, for
   * every outcome; rejects for invalid options (the state goes back to idle).
   */
  start(requestOverrides?: Partial<StreamOptions>): Promise<StreamResult>;
  /** Aborts the running request: its status becomes `"aborted"`, its text stays. */
  abort(): void;
}

/** Before the first `start()`. */
export interface StreamIdle extends StreamControls {
  status: "idle";
  result: null;
}

/** While a request runs. */
export interface StreamStreaming extends StreamControls {
  status: "streaming";
  result: null;
}

/** After a request: `status` is its outcome and `result` the result of that outcome. */
export interface StreamFinished<O extends Outcome = Outcome> extends StreamControls {
  status: O;
  result: Extract<StreamResult, { outcome: O }>;
}

/** `useStream`'s value: narrow it on `status` (`"stalled"` gives `result.error.phase`). */
export type UseStream = StreamIdle | StreamStreaming | { [O in Outcome]: StreamFinished<O> }[Outcome];

/**
 * One stream as React state. The state changes at most once per animation frame; the request
 * is aborted when the component unmounts, and the state is never set after that (StrictMode's
 * double mount included). `options` are read when `start()` is called; their `onText` and
 * `signal` are honoured too.
 */
export function useStream(options: StreamOptions): UseStream;
