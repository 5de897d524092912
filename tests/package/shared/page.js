// The page of the Vite and webpack apps: `window.sgRun(path, options)` streams a harness path
// with the package's `stream` (imported by the app exactly as a user does) into #out, as text
// nodes, and resolves with what the result and the page show. The harness URL is `?harness=`
// (default: this origin, which serves the app).
export function mount(stream) {
  const base = new URLSearchParams(location.search).get("harness") || location.origin;
  const out = document.getElementById("out");
  const badge = document.getElementById("outcome");
  window.sgRun = async (path, options) => {
    out.textContent = "";
    badge.textContent = "streaming";
    const result = await stream({
      url: new URL(path, base),
      ...options,
      onText: (delta) => out.append(delta),
    });
    badge.textContent = result.outcome;
    return {
      outcome: result.outcome,
      text: result.text,
      shown: out.textContent,
      code: result.error ? result.error.code : null,
      phase: result.error && result.error.code === "stalled" ? result.error.phase : null,
    };
  };
  badge.textContent = "ready";
}
