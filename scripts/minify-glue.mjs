// Renames the wasm-bindgen glue's side of the wasm's imports and exports to the short names that
// `wasm-opt --minify-imports-and-exports-and-modules` gave them (scripts/build-wasm.sh runs both).
// wasm-bindgen names each import after its Rust function and a 16-hex-digit hash
// (`__wbg_t_8570cf2119c15689`) under a module path ("./streamguard_bg.js", a snippet's path), and
// each export after its Rust name (`guard_feed`); the names are in the .wasm and again in the glue,
// and the hashes do not compress. Short names: 970 B gzip less download (wasm 573 B, the bundled
// JS 397 B).
//
//   node scripts/minify-glue.mjs GLUE_JS WASM MAP_JSON
//
// GLUE_JS: wasm-bindgen's `--target web` glue, rewritten in place (and its .d.ts next to it, whose
// `InitOutput` names the exports). WASM: the minified module.
// MAP_JSON: what wasm-opt printed: {"imports": [[module, name, new name], ...], "exports":
// [[name, new name], ...]}. The new module names are read from WASM itself.
//
// Every rewrite checks what it found and fails the build rather than ship a glue that does not
// match its wasm: each import key found once, every `wasm.<name>` left in the glue an export of
// the minified module, every import of the module provided.
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath, wasmPath, mapPath] = process.argv.slice(2);
if (!mapPath) {
  console.error("usage: node scripts/minify-glue.mjs GLUE_JS WASM MAP_JSON");
  process.exit(2);
}
const fail = (why) => {
  console.error(`minify-glue: ${why} (did wasm-bindgen change its output?)`);
  process.exit(1);
};

// One map per run of the pass: `--converge` runs the pass list again until the module stops
// shrinking, and each later run maps the short names to themselves (or to others): composed.
const maps = readFileSync(mapPath, "utf8")
  .split(/^(?=\{$)/m)
  .filter((part) => part.trim().startsWith("{"))
  .map((part) => JSON.parse(part));
if (maps.length === 0) fail("no map from wasm-opt");
const map = maps.reduce((a, b) => {
  const imp = new Map(b.imports.map(([mod, name, to]) => [name, to]));
  const exp = new Map(b.exports);
  return {
    imports: a.imports.map(([mod, name, to]) => [mod, name, imp.get(to) ?? fail(`import ${to} lost`)]),
    exports: a.exports.map(([name, to]) => [name, exp.get(to) ?? fail(`export ${to} lost`)]),
  };
});
const module = new WebAssembly.Module(readFileSync(wasmPath));
const imports = WebAssembly.Module.imports(module);
const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
let glue = readFileSync(gluePath, "utf8");

// Exports: `wasm.guard_feed(` -> `wasm.w(`.
const renamed = new Map(map.exports);
glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)\b/g, (all, name) => {
  const to = renamed.get(name);
  if (to === undefined) fail(`the glue uses wasm.${name}, which the map does not rename`);
  return "wasm." + to;
});
for (const [, name] of glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)\b/g)) {
  if (!exportNames.has(name)) fail(`wasm.${name} is not an export of the minified module`);
}

// Imports. The glue builds them in `__wbg_get_imports`: an object literal per module of its own
// (`const import0 = { __proto__: null, __wbg_t_<hash>: function(...) {...}, ... }`), a snippet's
// module namespace (`import * as import1 from "./snippets/.../host.js"`), and returns
// `{ __proto__: null, "<module>": importN, ... }`.
const start = glue.indexOf("function __wbg_get_imports() {");
if (start < 0) fail("no __wbg_get_imports");
const ret = /\n    return \{\n        __proto__: null,\n((?:        "[^"\n]+": \w+,\n)+)    \};\n\}/.exec(glue.slice(start));
if (!ret) fail("the return of __wbg_get_imports is not in the expected form");
const varOf = new Map();
for (const [, mod, v] of ret[1].matchAll(/"([^"]+)": (\w+),/g)) varOf.set(mod, v);
const literal = (v) => new RegExp(`\\n    const ${v} = \\{\\n`).test(glue.slice(start));

const byNew = new Map(map.imports.map(([mod, name, to]) => [to, { mod, name }]));
const modules = new Map(); // new module -> entries of its import object
for (const { module: newMod, name: newName } of imports) {
  const from = byNew.get(newName);
  if (!from) fail(`the wasm imports ${newMod}.${newName}, which the map does not name`);
  const v = varOf.get(from.mod);
  if (!v) fail(`the glue provides no module ${from.mod}`);
  if (!modules.has(newMod)) modules.set(newMod, []);
  if (literal(v)) {
    // The key in the literal itself: `        __wbg_t_<hash>: function` -> `        b: function`.
    const key = new RegExp(`\\n        ${from.name.replace(/\$/g, "\\$")}: `, "g");
    const found = glue.slice(start).match(key);
    if (!found || found.length !== 1) fail(`import ${from.name}: ${found ? found.length : 0} keys in ${v}`);
    glue = glue.slice(0, start) + glue.slice(start).replace(key, `\n        ${newName}: `);
    modules.get(newMod).push({ literal: v });
  } else {
    modules.get(newMod).push({ key: newName, value: `${v}[${JSON.stringify(from.name)}]` });
  }
}
// Each new module's object: the literal that holds its renamed keys, with the snippets' imports
// added to it as keys (not `{ ...import0, h: import1.now }`: terser, in webpack's production
// build, inlines such a spread of a literal into a second `__proto__: null`, a SyntaxError).
const body = [...modules]
  .map(([mod, entries]) => {
    const lits = [...new Set(entries.filter((e) => e.literal).map((e) => e.literal))];
    const extra = entries.filter((e) => e.key).map((e) => `        ${e.key}: ${e.value},\n`).join("");
    if (lits.length !== 1) fail(`module ${mod} takes imports from ${lits.length} literals of the glue, not one`);
    const head = `\n    const ${lits[0]} = {\n        __proto__: null,\n`;
    const at = glue.indexOf(head, start);
    if (at < 0) fail(`${lits[0]} does not open with __proto__: null`);
    glue = glue.slice(0, at + head.length) + extra + glue.slice(at + head.length);
    return `        ${JSON.stringify(mod)}: ${lits[0]},\n`;
  })
  .join("");
glue = glue.replace(ret[0], `\n    return {\n        __proto__: null,\n${body}    };\n}`);
writeFileSync(gluePath, glue);

// The glue's declarations (wasm-pack writes them next to it): `InitOutput`, what init() resolves
// to, lists the exports by name.
const dtsPath = gluePath.replace(/\.js$/, ".d.ts");
let dts;
try {
  dts = readFileSync(dtsPath, "utf8");
} catch {
  dts = null;
}
if (dts !== null) {
  const iface = /export interface InitOutput \{\n[^}]*\n\}/.exec(dts);
  if (!iface) fail(`no InitOutput in ${dtsPath}`);
  const out = iface[0].replace(/^( {4}readonly )([\w$]+)(: )/gm, (all, a, name, b) => {
    const to = renamed.get(name);
    if (to === undefined) fail(`InitOutput.${name} is not in the map`);
    return a + to + b;
  });
  writeFileSync(dtsPath, dts.replace(iface[0], out));
}
