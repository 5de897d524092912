// Defaults only: the package needs no Next.js configuration (Turbopack, the default bundler
// of `next build`, emits the wasm from new URL("./streamguard_bg.wasm", import.meta.url)).
export default {};
