//! The shape of `src/`, checked: the modules' imports form no cycle, and a file over ~400 lines
//! is one concern (named below with the reason). Reads the sources; no build step involved.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files allowed over [`MAX_LINES`], each one concern.
const LONG_FILES: &[(&str, &str)] = &[
    (
        "src/batch.rs",
        "the text batcher: the flush modes and the smooth reveal's unit counting (200 lines of tests)",
    ),
    (
        "src/decode/decoder.rs",
        "the decoder's state machine: framing, sniffing and dispatch of one stream (its tests included)",
    ),
    (
        "src/decode/auto.rs",
        "the `auto` rules: what the head and the first bytes decide (200 lines of tests)",
    ),
    (
        "src/lines.rs",
        "the line splitter of SSE and NDJSON: CR, LF and CRLF across reads, the line cap, the word-at-a-time search (its tests included)",
    ),
    (
        "src/web/guard.rs",
        "the Guard: the driver behind the host's ABI (one export per host event, the flags, the sink)",
    ),
    (
        "src/sse/mod.rs",
        "the WHATWG event-stream parser: lines, fields and the event queue (its tests included)",
    ),
    (
        "src/json.rs",
        "the lazy JSON view over one validated frame (its tests are most of the file)",
    ),
    (
        "src/json_values.rs",
        "the incremental framer of a streamed JSON array (140 lines of tests)",
    ),
    (
        "src/session.rs",
        "one connection's session: head, body, timers, batcher and the verdicts",
    ),
];

const MAX_LINES: usize = 420;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to (`src/decode/gemini.rs` -> `decode`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).expect("under src/");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The code of a file without comments and without its `#[cfg(test)]` part.
fn code(text: &str) -> String {
    let body = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn deps(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn the_module_graph_of_src_has_no_cycle() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    assert!(files.len() > 10, "src/ not found: {}", src().display());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(f);
        let text = std::fs::read_to_string(f).expect("read");
        let d = deps(&code(&text));
        let entry = graph.entry(m.clone()).or_default();
        entry.extend(
            d.into_iter()
                .filter(|d| *d != m && d != "self" && d != "super"),
        );
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle in src/: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    // The check above must be able to fail: a two-module cycle written as code.
    let a = deps("use crate::b::Thing;\nfn f() { crate::c::g(); }");
    assert_eq!(a, ["b", "c"].iter().map(|s| s.to_string()).collect());
    let grouped = deps("use crate::{batch::Batcher, time::Millis};");
    assert_eq!(
        grouped,
        ["batch", "time"].iter().map(|s| s.to_string()).collect()
    );
    assert!(deps(&code("// crate::x\n#[cfg(test)]\nuse crate::y;")).is_empty());
}

#[test]
fn a_file_over_400_lines_is_one_named_concern() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let lines = text.lines().count();
        let rel = f
            .strip_prefix(src().parent().expect("root"))
            .expect("rel")
            .to_string_lossy()
            .replace('\\', "/");
        let allowed = LONG_FILES.iter().any(|(p, _)| *p == rel);
        if lines > MAX_LINES && !allowed {
            long.push(format!("{rel}: {lines} lines"));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines: split them, or name them in LONG_FILES with the one concern they hold: {long:#?}"
    );
}
