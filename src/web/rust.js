// The Rust API's side of options.js (src/web/stream.rs and options.rs): a snippet of its own,
// so that the JS package, built without the Rust API, does not ship it.
import { Call, fail, request } from "./options.js";

// The Rust API's options: the request part of `validate` (`response`: read it instead).
export function prepare(url, method, flat, body, credentials, signal, response) {
  let init;
  if (response) {
    if (response.bodyUsed || (response.body && response.body.locked)) fail("response", "its body was already used or is locked");
  } else {
    const pairs = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    init = request(url, method, pairs, body, credentials, {});
  }
  const call = new Call(url, init, signal, [], undefined, undefined, response);
  call.rust = true;
  return call;
}

export const reason = (e) => (typeof e === "object" && e !== null && typeof e.message === "string" ? e.message : String(e));

