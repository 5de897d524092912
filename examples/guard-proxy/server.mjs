// A chat proxy that never orphans an upstream (Node >= 20, no framework): it forwards a chat
// request to an upstream model endpoint, pipes the upstream body through streamguard's
// guard(), and streams the text to its own client as SSE:
//
//   data: {"text":"..."}                                  one per batch of text
//   event: end
//   data: {"outcome":"complete","finishReason":"stop","usage":{...},"error":null}
//
// The final `end` event always comes (when the client is still there), with the outcome
// (`complete`, `stalled`, `truncated`, `http_error`, ...) and usage. When the upstream goes
// silent, guard()'s timers end the stream `stalled`: the text so far has been sent, the end
// event says so, and the upstream request is cancelled. When the client disconnects, the
// upstream request is aborted at once (before or after its headers arrived).
//
//   UPSTREAM_URL=https://api.openai.com/v1/chat/completions UPSTREAM_API_KEY=... \
//     PROTOCOL=openai PORT=8787 node server.mjs
//   curl -N localhost:8787/chat -d '{"model":"gpt-4o-mini","stream":true,"messages":[...]}'
import { createServer } from "node:http";
import { guard, stream } from "streamguard";

/**
 * The proxy's request handler. `upstream(req)` returns the upstream URL for a client request
 * (a constant in production); `headers` go to the upstream (auth); `protocol` and the timeouts
 * go to guard().
 */
export function proxy({ upstream, headers = {}, protocol = "openai", timeouts = {} }) {
  return async (req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const body = await readBody(req);
    // Aborts the upstream fetch while its headers are pending, and the guard afterwards.
    const controller = new AbortController();
    let ended = false;
    res.on("close", () => {
      if (!ended) controller.abort();
    });
    const send = (chunk) => res.write(chunk);
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    let result;
    try {
      const response = await fetch(upstream(req), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
        body,
        signal: controller.signal,
      });
      if (!response.ok) {
        // A pipe sees no status: stream() reads the status, the body and Retry-After.
        result = await stream({ response, protocol, signal: controller.signal, ...timeouts });
      } else {
        const g = guard({ protocol, signal: controller.signal, ...timeouts });
        const reader = response.body.pipeThrough(g).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          send("data: " + JSON.stringify({ text: value }) + "\n\n");
        }
        result = await g.result;
      }
    } catch (e) {
      // fetch() itself failed (no connection, DNS, aborted before the headers).
      result = { outcome: controller.signal.aborted ? "aborted" : "network_error", finishReason: null, usage: null,
        error: { code: controller.signal.aborted ? "aborted" : "network_error", message: String(e && e.message) } };
    }
    ended = true;
    if (res.destroyed) return;
    const e = result.error;
    const error = e ? { code: e.code, message: e.message, ...(e.status != null && { status: e.status }) } : null;
    send("event: end\ndata: " + JSON.stringify({ outcome: result.outcome, finishReason: result.finishReason,
      usage: result.usage, error }) + "\n\n");
    res.end();
  };
}

async function readBody(req) {
  const parts = [];
  for await (const part of req) parts.push(part);
  return Buffer.concat(parts);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.UPSTREAM_URL;
  if (!url) throw new Error("set UPSTREAM_URL (an OpenAI-compatible chat completions endpoint, say)");
  const key = process.env.UPSTREAM_API_KEY;
  const server = createServer(proxy({
    upstream: () => url,
    headers: key ? { authorization: "Bearer " + key } : {},
    protocol: process.env.PROTOCOL || "openai",
  }));
  server.listen(Number(process.env.PORT || 8787), () => console.log("listening on", server.address().port));
}
