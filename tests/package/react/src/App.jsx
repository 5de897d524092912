// The hook under test. `window.sgShow({ path, options, auto, key })` mounts <Chat> for a
// harness path; the test clicks #start, #abort and #unmount and reads #status and #text.
// Every commit of <Chat> is recorded with its animation frame: document.timeline.currentTime
// is the time of the current frame, the same in every task between two frames.
import { useEffect, useLayoutEffect, useState } from "react";
import { useStream } from "streamguard/react";

const base = new URLSearchParams(location.search).get("harness") || location.origin;
const t = window;
t.sgCommits = [];
t.sgTexts = 0; // onText calls (the hook's own options are honoured too)
t.sgStarts = []; // request ids started by `auto`

function withId(path, id) {
  return path + (path.includes("?") ? "&" : "?") + "request_id=" + id;
}

function Chat({ path, options, auto }) {
  const s = useStream({
    url: new URL(path, base),
    ...options,
    onText: () => {
      t.sgTexts++;
    },
  });
  useLayoutEffect(() => {
    t.sgCommits.push({ frame: document.timeline.currentTime, status: s.status, length: s.text.length });
  });
  // Started by an effect: StrictMode (development) runs it, cleans it up (the hook aborts the
  // request) and runs it again; only the second stream may reach the state.
  useEffect(() => {
    if (!auto) return;
    const id = auto + "-" + (t.sgStarts.length + 1);
    t.sgStarts.push(id);
    s.start({ url: new URL(withId(path, id), base) });
  }, []);
  return (
    <section>
      <p id="status">{s.status}</p>
      <pre id="text">{s.text}</pre>
      <p id="deltas">{s.stats === null ? "" : String(s.stats.deltas)}</p>
      <p id="outcome">{s.result === null ? "" : s.result.outcome}</p>
      <button id="start" onClick={() => s.start()}>
        Start
      </button>
      <button id="abort" onClick={s.abort}>
        Abort
      </button>
    </section>
  );
}

export default function App() {
  const [chat, setChat] = useState(null);
  const [shown, setShown] = useState(true);
  useEffect(() => {
    t.sgShow = (c) => {
      t.sgCommits = [];
      t.sgTexts = 0;
      t.sgStarts = [];
      setShown(true);
      setChat(c);
    };
    return () => {
      delete t.sgShow;
    };
  }, []);
  return (
    <main>
      <button id="unmount" onClick={() => setShown(false)}>
        Unmount
      </button>
      {chat && shown ? <Chat key={chat.key} path={chat.path} options={chat.options || {}} auto={chat.auto || null} /> : null}
    </main>
  );
}
