import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built twice by scripts/package-test.sh: production (dist/) and, with NODE_ENV=development,
// React's development build (dist-dev/), where StrictMode mounts, unmounts and mounts again.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir: process.env.NODE_ENV === "development" ? "dist-dev" : "dist", emptyOutDir: true },
});
