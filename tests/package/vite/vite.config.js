import { defineConfig } from "vite";

// Relative asset URLs: the built app is served under /vite/ by the harness.
export default defineConfig({ base: "./", build: { outDir: "dist", emptyOutDir: true } });
