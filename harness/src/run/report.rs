//! How `run` prints: the summary of an outcome, quoted excerpts, and the wire transcript of a
//! failed run.

use serde_json::Value;
use streamguard::StreamResult;

/// `s` quoted, cut to `n` characters (with `…`).
pub(super) fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    format!("{out:?}")
}

/// `outcome/detail`: the stall phase, the error code, or the finish reason.
pub(super) fn summary(o: &StreamResult) -> String {
    let detail = match &o.error {
        Some(e) => match e.phase {
            Some(p) => p.code().to_owned(),
            None => e.code.code().to_owned(),
        },
        None => o
            .finish_reason
            .map(|f| f.code().to_owned())
            .unwrap_or_else(|| "-".into()),
    };
    format!("{}/{}", o.outcome.code(), detail)
}

fn escape_bytes(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The wire transcript of a request, for a failure report.
pub(crate) fn format_transcript(rec: &Value) -> String {
    let mut s = format!(
        "     wire: {} bytes written, server end {} at {} ms, client closed {} at {} ms\n",
        rec["bytesWritten"],
        rec["serverEnd"].as_str().unwrap_or("-"),
        rec["serverEndAfterStartMs"],
        rec["clientClosed"],
        rec["closedAfterStartMs"]
    );
    let entries = rec["transcript"].as_array().cloned().unwrap_or_default();
    for (i, t) in entries.iter().enumerate() {
        if i == 40 {
            s.push_str(&format!("     ... {} more writes\n", entries.len() - 40));
            break;
        }
        s.push_str(&format!(
            "     {:>6} ms {:>6} B  {}\n",
            t["tMs"],
            t["len"],
            escape_bytes(t["bytes"].as_str().unwrap_or(""), 160)
        ));
    }
    s
}
