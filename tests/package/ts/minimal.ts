// Compiles without esnext.disposable in `lib`: the package declares Symbol.dispose itself.
import { open, stream, type StreamHandle, type StreamResult } from "streamguard";

export async function main(): Promise<string> {
  const handle: StreamHandle = open({ url: "/v1/chat/completions" });
  handle[Symbol.dispose]();
  await handle[Symbol.asyncDispose]();
  const r: StreamResult = await stream({ url: "/v1/chat/completions" });
  return r.outcome === "complete" ? r.text : r.error.message;
}
