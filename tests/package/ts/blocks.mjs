// Extracts every TypeScript or JavaScript code block of the given Markdown files into OUT_DIR,
// one file per block (README-3.ts, npm-README-1.js, ...), for tsc --strict (tsconfig.json).
//
//   node blocks.mjs OUT_DIR FILE.md...
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const EXT = { ts: "ts", typescript: "ts", tsx: "tsx", js: "js", javascript: "js", mjs: "js", jsx: "jsx" };
const [out, ...files] = process.argv.slice(2);
if (!out || files.length === 0) {
  console.error("usage: node blocks.mjs OUT_DIR FILE.md...");
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let total = 0;
for (const file of files) {
  const name = basename(file, ".md");
  const lines = readFileSync(file, "utf8").split("\n");
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w+)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1] + "```";
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== fence) end++;
    const ext = EXT[open[2].toLowerCase()];
    if (ext) {
      n++;
      // A comment pointing tsc's errors back at the Markdown line.
      const body = `// ${file}:${start + 1}\n` + lines.slice(start, end).join("\n") + "\n";
      writeFileSync(join(out, `${name}-${n}.${ext}`), body);
    }
    i = end;
  }
  console.log(`${file}: ${n} TS/JS blocks`);
  total += n;
}
if (total === 0) {
  console.error("no TS/JS block found");
  process.exit(1);
}
