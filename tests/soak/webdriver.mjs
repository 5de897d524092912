// A small W3C WebDriver client (plain fetch calls from Node) for the soak: one headless Chromium
// (chromedriver) or Firefox (geckodriver) session, scripts run in the page, and each browser's
// way to force a garbage collection and read the page's heap:
//
// - Chromium: chromedriver's CDP passthrough (POST /session/{id}/goog/cdp/execute):
//   HeapProfiler.collectGarbage, then Runtime.getHeapUsage (V8's used heap, and the embedder
//   (Blink/Oilpan) heap where streams, readers and signals live).
// - Firefox has no CDP. geckodriver runs with --allow-system-access, so a script in the
//   browser's chrome context can load a process script into the content processes that runs
//   Cu.forceGC(), Cu.forceCC() and Cu.forceShrinkingGC() (about:memory's "GC", "CC" and
//   "Minimize memory usage" buttons; the shrinking GC also discards JIT code, which otherwise
//   grows with the page's warm-up: +0.5 MiB of baseline code and stubs over 300 streams), then read the
//   memory reporters (what about:memory shows) for the soak page's window: its JS zone and
//   realm memory (live GC things, their malloc'd parts; free GC cells excluded).
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class WebDriver {
  /** Starts the driver and a session. `browser`: "chromium" or "firefox". */
  static async start(browser, { chromium = "/usr/bin/chromium", firefox = "firefox-esr", log = () => {} } = {}) {
    const port = await freePort();
    let child;
    let caps;
    if (browser === "chromium") {
      child = spawn("chromedriver", [`--port=${port}`], { stdio: ["ignore", "ignore", "pipe"] });
      caps = { browserName: "chrome", "goog:chromeOptions": { binary: chromium, args: CHROMIUM_FLAGS } };
    } else if (browser === "firefox") {
      child = spawn("geckodriver", ["--port", String(port), "--allow-system-access"], { stdio: ["ignore", "ignore", "pipe"] });
      caps = { browserName: "firefox", "moz:firefoxOptions": { binary: await which(firefox), args: ["-headless"] } };
    } else {
      throw new Error(`unknown browser ${browser}`);
    }
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    const wd = new WebDriver(browser, `http://127.0.0.1:${port}`, child, () => stderr);
    try {
      for (let i = 0; ; i++) {
        try {
          const r = await fetch(wd.base + "/status");
          if (r.ok) break;
        } catch (_) { /* not listening yet */ }
        if (i > 100 || child.exitCode !== null) throw new Error(`${browser} driver did not start: ${stderr}`);
        await sleep(100);
      }
      const s = await wd.req("POST", "/session", { capabilities: { alwaysMatch: caps } });
      wd.session = s.sessionId;
      wd.version = s.capabilities.browserVersion;
      log(`${browser} ${wd.version} (session ${wd.session})`);
    } catch (e) {
      child.kill();
      throw e;
    }
    return wd;
  }

  constructor(browser, base, child, stderr) {
    this.browser = browser;
    this.base = base;
    this.child = child;
    this.stderr = stderr;
    this.session = null;
    this.version = "";
  }

  async req(method, path, body) {
    const r = await fetch(this.base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let j;
    try {
      j = JSON.parse(text);
    } catch (_) {
      throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    }
    if (!r.ok) {
      const v = j.value || {};
      throw new Error(`${method} ${path}: ${v.error || r.status}: ${(v.message || text).slice(0, 2000)}`);
    }
    return j.value;
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  timeouts(t) {
    return this.req("POST", this.s("/timeouts"), t);
  }

  navigate(url) {
    return this.req("POST", this.s("/url"), { url });
  }

  /** Runs `script` (a function body) in the page; a returned promise is awaited. */
  execute(script, args = []) {
    return this.req("POST", this.s("/execute/sync"), { script, args });
  }

  /** Forces a full garbage collection in the page's process. */
  async gc() {
    if (this.browser === "chromium") {
      await this.cdp("HeapProfiler.collectGarbage");
      return;
    }
    await this.chrome(FIREFOX_GC, [`data:,(${contentGc})()`]);
  }

  /** The page's heap after the last gc(): { js, embedder? } in bytes, and what was measured. */
  async heap(pageUrl) {
    if (this.browser === "chromium") {
      const u = await this.cdp("Runtime.getHeapUsage");
      return { js: u.usedSize, embedder: u.embedderHeapUsedSize, what: "V8 used heap (Runtime.getHeapUsage)" };
    }
    // Memory reporter paths spell the URL with backslashes for slashes.
    const prefix = `explicit/window-objects/top(${pageUrl.replace(/\//g, "\\")}`;
    const r = await this.chrome(FIREFOX_REPORTS, [prefix]);
    if (!r.reports) throw new Error(`no memory report for ${prefix}`);
    return { js: r.js, window: r.window, paths: r.paths, what: "the page window's JS memory (memory reporters; free GC cells and the wasm memory excluded)" };
  }

  cdp(cmd, params = {}) {
    return this.req("POST", this.s("/goog/cdp/execute"), { cmd, params });
  }

  /** Firefox: runs `script` in the browser's chrome (privileged) context. */
  async chrome(script, args) {
    await this.req("POST", this.s("/moz/context"), { context: "chrome" });
    try {
      return await this.execute(script, args);
    } finally {
      await this.req("POST", this.s("/moz/context"), { context: "content" });
    }
  }

  async quit() {
    try {
      if (this.session) await this.req("DELETE", this.s(""));
    } catch (_) { /* the browser is gone already */ }
    this.child.kill();
  }
}

async function which(name) {
  if (name.includes("/")) return name;
  const { execFileSync } = await import("node:child_process");
  return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
}

// Runs in every content process (a process script has the system principal there): a full GC,
// a cycle collection, then a shrinking GC (what the CC freed, and the JIT code), then tells the
// parent.
function contentGc() {
  Cu.forceGC();
  Cu.forceCC();
  Cu.forceShrinkingGC();
  sendAsyncMessage("soak:gc", Services.appinfo.remoteType);
}

// Chrome context: load contentGc into the content processes and wait for every one to answer.
const FIREFOX_GC = `
  const [url] = arguments;
  const expected = Services.ppmm.childCount - 1; // the parent process is counted too
  return new Promise((resolve) => {
    let got = 0;
    const done = () => {
      Services.ppmm.removeMessageListener("soak:gc", l);
      resolve(got);
    };
    const l = () => {
      if (++got >= expected) done();
    };
    Services.ppmm.addMessageListener("soak:gc", l);
    Services.ppmm.loadProcessScript(url, false);
    setTimeout(done, 10000);
  });`;

// Chrome context: the memory reports of every process, summed for the page's window.
const FIREFOX_REPORTS = `
  const [prefix] = arguments;
  const m = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
  return new Promise((resolve) => {
    let js = 0, window = 0, reports = 0;
    const paths = {};
    m.getReports((proc, path, kind, units, amount) => {
      if (units !== Ci.nsIMemoryReporter.UNITS_BYTES || !path.startsWith(prefix)) return;
      reports++;
      window += amount;
      // The wasm memory's buffer (…/elements/wasm) is measured on its own.
      if (path.includes("/js-") && !path.endsWith("/unused-gc-things") && !path.endsWith("/elements/wasm")) {
        js += amount;
        const k = path.slice(path.indexOf("/js-"));
        paths[k] = (paths[k] || 0) + amount;
      }
    }, null, () => resolve({ js, window, reports, paths }), null, false);
  });`;
