// The package in Deno 2, installed from the packed tarball (npm's node_modules; the "deno"
// export condition): the cases of node.test.mjs under `deno test`, whose sanitizers fail a
// test that leaves a timer, an async op or a resource (a body, a connection) behind.
import * as lib from "streamguard";
import { scenarioCases, transportCases } from "./scenarios.mjs";

const harness = Deno.env.get("STREAMGUARD_HARNESS_URL");
if (!harness) throw new Error("STREAMGUARD_HARNESS_URL is not set");

for (const [name, fn] of await scenarioCases(lib, harness, "deno")) Deno.test(name, fn);
for (const [name, fn] of transportCases(lib, harness)) Deno.test(name, fn);
