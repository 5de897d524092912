// The package in Node (>= 20), installed from the packed tarball: every scenario through
// stream({ url }), stream({ response }) and guard(), and the transport and bad-input cases,
// against the harness (STREAMGUARD_HARNESS_URL). Run by scripts/runtime-test.sh.
import { test } from "node:test";
import * as lib from "streamguard";
import { scenarioCases, transportCases } from "./scenarios.mjs";

const harness = process.env.STREAMGUARD_HARNESS_URL;
if (!harness) throw new Error("STREAMGUARD_HARNESS_URL is not set");
// Timers that keep the process alive (the library's are; undici's own are unref'd).
const live = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

for (const [name, fn] of await scenarioCases(lib, harness, "node", live)) test(name, fn);
for (const [name, fn] of transportCases(lib, harness, live)) test(name, fn);
