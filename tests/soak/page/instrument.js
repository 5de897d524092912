// The soak page's instruments, installed by a classic script BEFORE the package loads: every
// timer, interval, animation frame, event listener, reader lock, read and fetch made through the
// page's globals is counted, and the wasm instance's memory is captured when the glue
// instantiates it. The page's own code (soak.js) uses the originals in `orig`, so whatever the
// counters see is the product's (and its wasm glue's).
//
// `counts()` returns the totals and what is still pending: a timer or interval set and neither
// fired nor cleared, a frame requested and neither run nor cancelled, a listener added and not
// removed, a reader whose lock was not released, a read() not settled, a fetch() not settled.
// Nothing here keeps a product object alive: listeners and readers are tracked in WeakMaps and
// WeakSets, pending things by numbers and small descriptors.
(() => {
  "use strict";
  const g = globalThis;
  const ET = EventTarget.prototype;
  const RS = ReadableStream.prototype;
  const RD = ReadableStreamDefaultReader.prototype;
  const orig = {
    setTimeout: g.setTimeout.bind(g),
    clearTimeout: g.clearTimeout.bind(g),
    setInterval: g.setInterval.bind(g),
    clearInterval: g.clearInterval.bind(g),
    requestAnimationFrame: g.requestAnimationFrame.bind(g),
    cancelAnimationFrame: g.cancelAnimationFrame.bind(g),
    addEventListener: ET.addEventListener,
    removeEventListener: ET.removeEventListener,
    fetch: g.fetch.bind(g),
    getReader: RS.getReader,
    releaseLock: RD.releaseLock,
    read: RD.read,
    cancel: RD.cancel,
    instantiate: WebAssembly.instantiate,
    instantiateStreaming: WebAssembly.instantiateStreaming,
  };

  const n = {
    timersSet: 0, timersFired: 0, timersCleared: 0,
    intervalsSet: 0, intervalsCleared: 0,
    framesAsked: 0, framesRun: 0, framesCancelled: 0,
    listenersAdded: 0, listenersRemoved: 0,
    readers: 0, readersReleased: 0, readerCancels: 0,
    reads: 0, readsSettled: 0,
    fetches: 0, fetchesSettled: 0,
  };
  const timers = new Set(); // ids of pending timeouts and intervals
  const frames = new Set(); // ids of pending frames
  const liveListeners = new Set(); // descriptors {target, type} of listeners still added
  // listener -> [{ref: WeakRef(target), type, capture, d: descriptor}]
  const listenerRecords = new WeakMap();
  const lockedReaders = new WeakSet();
  let wasmMemory = null;

  // ---- timers and intervals (clearTimeout and clearInterval clear either, as in HTML) -------
  const clear = (id) => {
    if (timers.delete(id)) return true;
    return false;
  };
  g.setTimeout = function setTimeout(fn, ms, ...args) {
    let id;
    const f = typeof fn === "function"
      ? function () {
        if (timers.delete(id)) n.timersFired++;
        return fn.apply(this, arguments);
      }
      : fn;
    id = orig.setTimeout(f, ms, ...args);
    timers.add(id);
    n.timersSet++;
    return id;
  };
  g.clearTimeout = function clearTimeout(id) {
    if (clear(id)) n.timersCleared++;
    return orig.clearTimeout(id);
  };
  g.setInterval = function setInterval(fn, ms, ...args) {
    const id = orig.setInterval(fn, ms, ...args);
    timers.add(id);
    n.intervalsSet++;
    return id;
  };
  g.clearInterval = function clearInterval(id) {
    if (clear(id)) n.intervalsCleared++;
    return orig.clearInterval(id);
  };

  // ---- animation frames ----------------------------------------------------------------------
  g.requestAnimationFrame = function requestAnimationFrame(fn) {
    let id;
    const f = function (t) {
      if (frames.delete(id)) n.framesRun++;
      return fn.call(this, t);
    };
    id = orig.requestAnimationFrame(f);
    frames.add(id);
    n.framesAsked++;
    return id;
  };
  g.cancelAnimationFrame = function cancelAnimationFrame(id) {
    if (frames.delete(id)) n.framesCancelled++;
    return orig.cancelAnimationFrame(id);
  };

  // ---- event listeners (a duplicate add and an unknown remove are no-ops, as in the DOM) ----
  const capture = (o) => (typeof o === "boolean" ? o : !!(o && o.capture));
  const once = (o) => !!(o && typeof o === "object" && o.once);
  const find = (records, target, type, cap) =>
    records.findIndex((r) => r.ref.deref() === target && r.type === type && r.capture === cap);
  ET.addEventListener = function addEventListener(type, listener, options) {
    if (listener && !once(options)) {
      const records = listenerRecords.get(listener) || [];
      const cap = capture(options);
      if (find(records, this, String(type), cap) < 0) {
        const d = { target: (this && this.constructor && this.constructor.name) || "?", type: String(type) };
        records.push({ ref: new WeakRef(this), type: String(type), capture: cap, d });
        listenerRecords.set(listener, records);
        liveListeners.add(d);
        n.listenersAdded++;
      }
    }
    return orig.addEventListener.call(this, type, listener, options);
  };
  ET.removeEventListener = function removeEventListener(type, listener, options) {
    const records = listener && listenerRecords.get(listener);
    if (records) {
      const i = find(records, this, String(type), capture(options));
      if (i >= 0) {
        liveListeners.delete(records[i].d);
        records.splice(i, 1);
        n.listenersRemoved++;
      }
    }
    return orig.removeEventListener.call(this, type, listener, options);
  };

  // ---- readers: locks and pending reads ------------------------------------------------------
  RS.getReader = function getReader(...args) {
    const r = orig.getReader.apply(this, args);
    if (r instanceof ReadableStreamDefaultReader) {
      lockedReaders.add(r);
      n.readers++;
    }
    return r;
  };
  RD.releaseLock = function releaseLock() {
    const out = orig.releaseLock.call(this); // throws as the original does
    if (lockedReaders.delete(this)) n.readersReleased++;
    return out;
  };
  RD.cancel = function cancel(reason) {
    n.readerCancels++;
    return orig.cancel.call(this, reason);
  };
  RD.read = function read(...args) {
    const p = orig.read.apply(this, args);
    n.reads++;
    p.then(() => n.readsSettled++, () => n.readsSettled++);
    return p;
  };

  // ---- fetch ---------------------------------------------------------------------------------
  g.fetch = function fetch(...args) {
    n.fetches++;
    let p;
    try {
      p = orig.fetch(...args);
    } catch (e) {
      n.fetchesSettled++;
      throw e;
    }
    p.then(() => n.fetchesSettled++, () => n.fetchesSettled++);
    return p;
  };

  // ---- the wasm instance's memory ------------------------------------------------------------
  const keep = (x) => {
    const instance = x instanceof WebAssembly.Instance ? x : x && x.instance;
    // The exports' names are minified in the shipped build: the memory is the export that is one.
    const m = instance && instance.exports && Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
    if (m) wasmMemory = m;
    return x;
  };
  WebAssembly.instantiate = function instantiate(...args) {
    return orig.instantiate.apply(WebAssembly, args).then(keep);
  };
  if (orig.instantiateStreaming) {
    WebAssembly.instantiateStreaming = function instantiateStreaming(...args) {
      return orig.instantiateStreaming.apply(WebAssembly, args).then(keep);
    };
  }

  const group = (set) => {
    const out = {};
    for (const d of set) {
      const k = d.target + " " + d.type;
      out[k] = (out[k] || 0) + 1;
    }
    return out;
  };

  g.__soakInstrument = {
    orig,
    counts() {
      return {
        ...n,
        pending: {
          timers: timers.size,
          frames: frames.size,
          listeners: liveListeners.size,
          readerLocks: n.readers - n.readersReleased,
          reads: n.reads - n.readsSettled,
          fetches: n.fetches - n.fetchesSettled,
        },
        listenersByTarget: group(liveListeners),
      };
    },
    wasmBytes: () => (wasmMemory ? wasmMemory.buffer.byteLength : null),
  };
})();
