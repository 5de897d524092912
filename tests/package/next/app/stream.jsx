"use client";
// A client component: prerendered on the server (where importing streamguard must not fail),
// hydrated in the browser, where `window.sgRun(path, options)` streams a harness path with
// the package's `stream` into React state.
import { useEffect, useState } from "react";
import { stream } from "streamguard";

export default function Stream() {
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState("loading");
  useEffect(() => {
    const base = new URLSearchParams(location.search).get("harness") || location.origin;
    window.sgRun = async (path, options) => {
      setText("");
      setOutcome("streaming");
      const result = await stream({
        url: new URL(path, base),
        ...options,
        onText: (delta) => setText((t) => t + delta),
      });
      setOutcome(result.outcome);
      return {
        outcome: result.outcome,
        text: result.text,
        code: result.error ? result.error.code : null,
        phase: result.error && result.error.code === "stalled" ? result.error.phase : null,
      };
    };
    setOutcome("ready");
    return () => {
      delete window.sgRun;
    };
  }, []);
  return (
    <>
      <p id="outcome">{outcome}</p>
      <pre id="out">{text}</pre>
    </>
  );
}
