// webpack 5 in production mode with its defaults (no loader, no plugin for the wasm): the
// package's new URL("./streamguard_bg.wasm", import.meta.url) becomes an emitted asset.
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import webpack from "webpack";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const compiler = webpack({
  mode: "production",
  context: here,
  entry: "./main.js",
  output: { path: dist, filename: "main.js", publicPath: "auto", clean: true },
});
compiler.run((err, stats) => {
  compiler.close(() => {});
  if (err || stats.hasErrors() || stats.hasWarnings()) {
    console.error(err || stats.toString("errors-warnings"));
    process.exit(1);
  }
  copyFileSync(join(here, "index.html"), join(dist, "index.html"));
  console.log(stats.toString({ preset: "minimal", assets: true }));
});
