// streamguard/react: useStream(options), one stream at a time as React state. The text is
// committed at most once per animation frame (a ~16 ms timer while the page is hidden), the
// request is aborted on unmount, and nothing is set after it: a stream that was replaced,
// aborted by an unmount or by StrictMode's simulated one never touches the state again.
import { useEffect, useInsertionEffect, useRef, useState } from "react";
import { stream } from "streamguard";

const IDLE = Object.freeze({ text: "", status: "idle", result: null, stats: null });
const g = globalThis;

class Runner {
  constructor(set) {
    this.set = set;
    this.options = undefined; // the latest render's options
    this.dead = false; // unmounted (until StrictMode mounts it again)
    this.gen = 0; // the current stream; callbacks of older ones are dropped
    this.ctl = null;
    this.info = null;
    this.state = IDLE;
    this.frame = 0;
    this.raf = false;
    this.commit = () => {
      this.frame = 0;
      if (this.dead) return;
      const s = this.state;
      if (s.status === "streaming" && this.info) s.stats = this.info.stats;
      this.set({ ...s });
    };
    this.start = (overrides) => this.run(overrides);
    this.abort = () => {
      if (this.ctl) this.ctl.abort();
    };
  }

  // One commit per frame, whatever changed since the last one.
  schedule() {
    if (this.frame || this.dead) return;
    const d = g.document;
    this.raf = !!d && d.visibilityState === "visible" && typeof g.requestAnimationFrame === "function";
    this.frame = this.raf ? g.requestAnimationFrame(this.commit) : g.setTimeout(this.commit, 16);
  }

  cancel() {
    if (this.frame) {
      if (this.raf) g.cancelAnimationFrame(this.frame);
      else g.clearTimeout(this.frame);
    }
    this.frame = 0;
  }

  run(overrides) {
    this.abort();
    const gen = ++this.gen;
    const opts = Object.assign({}, this.options, overrides);
    const onText = opts.onText;
    const signal = opts.signal;
    const ctl = new AbortController();
    this.ctl = ctl;
    this.info = null;
    if (signal) {
      if (signal.aborted) ctl.abort();
      else signal.addEventListener("abort", () => ctl.abort(), { once: true, signal: ctl.signal });
    }
    const live = () => gen === this.gen && !this.dead;
    opts.signal = ctl.signal;
    opts.onText = (delta, info) => {
      if (live()) {
        this.info = info;
        this.state.text += delta;
        this.schedule();
      }
      if (onText) onText(delta, info);
    };
    this.state = { text: "", status: "streaming", result: null, stats: null };
    this.schedule();
    const done = () => {
      if (this.ctl === ctl) this.ctl = null;
      ctl.abort(); // removes the listener on the caller's signal
    };
    return stream(opts).then(
      (result) => {
        done();
        if (live()) {
          this.state = { text: result.text, status: result.outcome, result, stats: result.stats };
          this.schedule();
        }
        return result;
      },
      (e) => {
        done();
        if (live()) {
          this.state = { ...IDLE };
          this.schedule();
        }
        throw e;
      },
    );
  }

  mount() {
    this.dead = false;
  }

  unmount() {
    this.dead = true;
    this.gen++;
    this.cancel();
    this.abort();
  }
}

/**
 * One stream as React state: `{ text, status, result, stats, start(requestOverrides?), abort() }`.
 * See react.d.ts.
 */
export function useStream(options) {
  const [state, set] = useState(IDLE);
  const ref = useRef(null);
  if (ref.current === null) ref.current = new Runner(set);
  const r = ref.current;
  // Before any effect runs, so start() in an effect sees this render's options.
  useInsertionEffect(() => {
    r.options = options;
  });
  useEffect(() => {
    r.mount();
    return () => r.unmount();
  }, [r]);
  return { text: state.text, status: state.status, result: state.result, stats: state.stats, start: r.start, abort: r.abort };
}
