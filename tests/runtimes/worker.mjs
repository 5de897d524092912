// A Cloudflare Worker (run in workerd through Miniflare by workerd.test.mjs), bundled the way
// wrangler bundles it (esbuild, the "workerd" export condition: the package's wasm arrives as a
// precompiled WebAssembly.Module, never compiled from bytes). Routes:
//   POST /run {entry, via}   runs a harness scenario in the Worker (scenarios.mjs), returns the run
//   POST /case {index}       runs transport case `index` in the Worker: {ok, error}
//   GET  /proxy?name=&id=    guards the harness's scenario `name` (request id `id`) with guard()
//                            and streams its text on, then a last line `[outcome]`
import * as lib from "streamguard";
import { runScenario, TIMERS, transportCases } from "./scenarios.mjs";

export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    const harness = env.HARNESS;
    if (u.pathname === "/run") {
      const { entry, via } = await request.json();
      return Response.json(await runScenario(lib, harness, entry, via));
    }
    if (u.pathname === "/case") {
      const { index } = await request.json();
      const cases = transportCases(lib, harness);
      if (index >= cases.length) return Response.json({ done: true });
      const [name, fn] = cases[index];
      try {
        await fn();
        return Response.json({ name, ok: true });
      } catch (e) {
        return Response.json({ name, ok: false, error: String(e && e.stack ? e.stack : e) });
      }
    }
    if (u.pathname === "/proxy") {
      const name = u.searchParams.get("name");
      const upstream = await fetch(harness + "/scenarios/" + name + "?request_id=" + u.searchParams.get("id"));
      const g = lib.guard({ protocol: u.searchParams.get("protocol") || "openai", ...TIMERS });
      const reader = upstream.body.pipeThrough(g).getReader();
      const enc = new TextEncoder();
      const body = new ReadableStream({
        async pull(c) {
          const r = await reader.read();
          if (!r.done) return c.enqueue(enc.encode(r.value));
          c.enqueue(enc.encode("\n[" + (await g.result).outcome + "]"));
          c.close();
        },
        cancel: () => g.abort(),
      });
      return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    return new Response("not found", { status: 404 });
  },
};
