//! The request registry: observability, so tests can prove a client really aborted.
//!
//! Every request gets a record: when it started, the bytes written, the wire transcript (bytes
//! with timestamps, the first [`TRANSCRIPT_CAP`] bytes), how the server ended it, and whether and
//! when the server saw the client close the connection, and the request's `Last-Event-ID`.
//! A reused id (a client's retry or SSE reconnect sends the same URL) starts a new record that
//! keeps the earlier ones with that id (`earlier`, at most [`MAX_EARLIER`]), so a test can
//! check every attempt. Waiters (`wait-closed`) are woken
//! through a `watch` channel, so nothing polls or sleeps.
//!
//! Memory is capped in bytes, not only in records: every record is charged its transcript
//! (bytes and per-write marks) and a fixed overhead, and when the registry holds more than
//! [`MAX_RECORDS`] records or more than its byte cap (default [`MAX_BYTES`]), the oldest
//! records are forgotten first (their transcripts freed at once, even while their
//! connections still run). A write that would take the registry over its cap is counted in
//! `bytesWritten` but not kept (`transcriptTruncated`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes of transcript kept per request.
pub(crate) const TRANSCRIPT_CAP: usize = 64 * 1024;
/// Records kept (the oldest are forgotten first).
pub(crate) const MAX_RECORDS: usize = 4096;
/// The registry's default memory cap: transcripts and records, in bytes.
pub(crate) const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Earlier requests with the same id kept per record.
pub(crate) const MAX_EARLIER: usize = 8;
/// What a record costs beside its transcript (the struct, its strings' headers, the map
/// entry), charged against the cap.
const RECORD_BYTES: usize = 512;
/// What one transcript mark (a write's time and end) costs.
const MARK_BYTES: usize = 16;

/// The kept transcript: the bytes of the writes back to back, and per write (ms after the
/// start, end offset in `bytes`).
#[derive(Debug, Default)]
struct Transcript {
    bytes: Vec<u8>,
    marks: Vec<(u64, usize)>,
}

/// The registry's memory account, shared with its records.
#[derive(Debug)]
struct Budget {
    cap: usize,
    used: AtomicUsize,
}
/// Records by id, and ids in insertion order (to forget the oldest).
type Records = (HashMap<String, Arc<RequestRecord>>, VecDeque<String>);

/// One request's record.
#[derive(Debug)]
pub(crate) struct RequestRecord {
    pub id: String,
    pub scenario: Mutex<Option<String>>,
    pub method: String,
    pub path: String,
    pub seed: Mutex<Option<u64>>,
    pub faults: Mutex<Vec<String>>,
    /// Server-clock instant the request head was read.
    pub started: Instant,
    /// ms since server start.
    pub started_ms: u64,
    pub bytes_written: AtomicU64,
    transcript: Mutex<Transcript>,
    /// Whether writes are still kept (false once the record is forgotten).
    live: AtomicBool,
    /// Bytes charged to the budget by this record.
    charged: AtomicUsize,
    budget: Arc<Budget>,
    /// A write was not kept (the per-record or the registry's cap).
    truncated: AtomicBool,
    /// ms after `started` the server saw the client close (read EOF or error, or a write error).
    closed: watch::Sender<Option<u64>>,
    /// How the server ended the response, and when (ms after `started`).
    pub end: Mutex<Option<(String, u64)>>,
    /// When the server ended the response (precise, for the gap to a reconnect).
    end_at: Mutex<Option<Instant>>,
    /// The request's `Last-Event-ID` header.
    pub last_event_id: Mutex<Option<String>>,
    /// Earlier requests with the same id, oldest first (taken from the record this one
    /// replaced, so no chain of records stays alive).
    earlier: Mutex<Vec<Arc<RequestRecord>>>,
}

impl RequestRecord {
    /// ms since the request started.
    pub(crate) fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Records a socket write made now.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn wrote(&self, bytes: &[u8]) {
        self.wrote_at(self.elapsed_ms(), bytes);
    }

    /// Records a socket write that began `t` ms after the start (the time is taken before the
    /// write, so a thread preempted after the write does not make it look late).
    pub(crate) fn wrote_at(&self, t: u64, bytes: &[u8]) {
        self.bytes_written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if bytes.is_empty() || !self.live.load(Ordering::Relaxed) {
            return;
        }
        let mut tr = self.transcript.lock().unwrap_or_else(|e| e.into_inner());
        let room = TRANSCRIPT_CAP.saturating_sub(tr.bytes.len());
        let keep = bytes.get(..bytes.len().min(room)).unwrap_or_default();
        let cost = keep.len() + MARK_BYTES;
        let budget = &self.budget;
        let fits =
            !keep.is_empty() && budget.used.fetch_add(cost, Ordering::Relaxed) + cost <= budget.cap;
        if !fits {
            if !keep.is_empty() {
                budget.used.fetch_sub(cost, Ordering::Relaxed);
            }
            self.truncated.store(true, Ordering::Relaxed);
            return;
        }
        self.charged.fetch_add(cost, Ordering::Relaxed);
        tr.bytes.extend_from_slice(keep);
        let end = tr.bytes.len();
        tr.marks.push((t, end));
        if keep.len() < bytes.len() {
            self.truncated.store(true, Ordering::Relaxed);
        }
    }

    /// Frees the transcript and gives back everything this record charged; later writes
    /// are not kept.
    fn forget(&self) {
        self.live.store(false, Ordering::Relaxed);
        let mut tr = self.transcript.lock().unwrap_or_else(|e| e.into_inner());
        *tr = Transcript::default();
        drop(tr);
        let charged = self.charged.swap(0, Ordering::Relaxed);
        self.budget.used.fetch_sub(charged, Ordering::Relaxed);
    }

    /// The server saw the client close (first call wins).
    pub(crate) fn client_closed(&self) {
        let t = self.started.elapsed().as_millis() as u64;
        self.closed.send_if_modified(|v| {
            if v.is_none() {
                *v = Some(t);
                true
            } else {
                false
            }
        });
    }

    /// When the client closed, ms after the start.
    pub(crate) fn closed_ms(&self) -> Option<u64> {
        *self.closed.borrow()
    }

    /// How the server ended the response (`close`, `hangup`, `reset`, `stall`, ...).
    pub(crate) fn ended(&self, how: &str) {
        let now = Instant::now();
        let t = now.duration_since(self.started).as_millis() as u64;
        let mut e = self.end.lock().unwrap_or_else(|e| e.into_inner());
        if e.is_none() {
            *e = Some((how.to_owned(), t));
            *self.end_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        }
    }

    /// ms from the server's end of `prev` to this request's start (whole ms, rounded down),
    /// when `prev` had ended.
    fn gap_after(&self, prev: Option<&Arc<RequestRecord>>) -> Option<u64> {
        let end = (*prev?.end_at.lock().unwrap_or_else(|e| e.into_inner()))?;
        Some(self.started.saturating_duration_since(end).as_millis() as u64)
    }

    /// The earlier requests with this id, oldest first.
    fn earlier(&self) -> Vec<Arc<RequestRecord>> {
        self.earlier
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The summary of an earlier request (no transcript); `prev` is the one before it.
    fn summary(&self, prev: Option<&Arc<RequestRecord>>) -> Value {
        let end = self.end.lock().unwrap_or_else(|e| e.into_inner()).clone();
        json!({
            "startedMs": self.started_ms,
            "lastEventId": *self.last_event_id.lock().unwrap_or_else(|e| e.into_inner()),
            "bytesWritten": self.bytes_written.load(Ordering::Relaxed),
            "clientClosedMs": self.closed_ms().map(|c| c + self.started_ms),
            "serverEnd": end.as_ref().map(|e| e.0.clone()),
            "serverEndMs": end.as_ref().map(|e| e.1 + self.started_ms),
            "gapAfterPreviousMs": self.gap_after(prev),
        })
    }

    /// Waits until the client closed, or `timeout` passed. Returns whether it closed.
    pub(crate) async fn wait_closed(&self, timeout: std::time::Duration) -> bool {
        let mut rx = self.closed.subscribe();
        let closed = tokio::time::timeout(timeout, rx.wait_for(|v| v.is_some())).await;
        matches!(closed, Ok(Ok(_)))
    }

    /// The transcript entries.
    pub(crate) fn transcript(&self) -> Vec<(u64, Vec<u8>)> {
        let tr = self.transcript.lock().unwrap_or_else(|e| e.into_inner());
        let mut start = 0;
        let mut out = Vec::with_capacity(tr.marks.len());
        for &(t, end) in &tr.marks {
            out.push((t, tr.bytes.get(start..end).unwrap_or_default().to_vec()));
            start = end;
        }
        out
    }

    /// The JSON of `GET /_harness/requests/{id}`.
    pub(crate) fn to_json(&self) -> Value {
        let closed = self.closed_ms();
        let earlier = self.earlier();
        let earlier_json: Vec<Value> = earlier
            .iter()
            .enumerate()
            .map(|(i, r)| r.summary(i.checked_sub(1).and_then(|p| earlier.get(p))))
            .collect();
        let end = self.end.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let transcript: Vec<Value> = self
            .transcript()
            .iter()
            .map(|(t, b)| {
                json!({
                    "tMs": t,
                    "len": b.len(),
                    "bytes": String::from_utf8_lossy(b),
                    "base64": BASE64.encode(b),
                })
            })
            .collect();
        json!({
            "id": self.id,
            "scenario": *self.scenario.lock().unwrap_or_else(|e| e.into_inner()),
            "method": self.method,
            "path": self.path,
            "seed": *self.seed.lock().unwrap_or_else(|e| e.into_inner()),
            "faults": *self.faults.lock().unwrap_or_else(|e| e.into_inner()),
            "startedMs": self.started_ms,
            "bytesWritten": self.bytes_written.load(Ordering::Relaxed),
            "clientClosed": closed.is_some(),
            "clientClosedMs": closed.map(|c| c + self.started_ms),
            "closedAfterStartMs": closed,
            "serverEnd": end.as_ref().map(|e| e.0.clone()),
            "serverEndAfterStartMs": end.as_ref().map(|e| e.1),
            "transcriptTruncated": self.truncated.load(Ordering::Relaxed),
            "transcript": transcript,
            "lastEventId": *self.last_event_id.lock().unwrap_or_else(|e| e.into_inner()),
            "gapAfterPreviousMs": self.gap_after(earlier.last()),
            "earlier": earlier_json,
        })
    }
}

/// All records, by id.
#[derive(Debug)]
pub(crate) struct Registry {
    pub start: Instant,
    counter: AtomicU64,
    inner: Mutex<Records>,
    budget: Arc<Budget>,
}

impl Registry {
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn new() -> Self {
        Registry::with_cap(MAX_BYTES)
    }

    /// A registry that keeps at most `cap` bytes (transcripts and records).
    pub(crate) fn with_cap(cap: usize) -> Self {
        Registry {
            start: Instant::now(),
            counter: AtomicU64::new(0),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            budget: Arc::new(Budget {
                cap,
                used: AtomicUsize::new(0),
            }),
        }
    }

    /// `{records, bytes, capBytes}`.
    pub(crate) fn usage(&self) -> Value {
        let records = self.inner.lock().unwrap_or_else(|e| e.into_inner()).0.len();
        json!({
            "records": records,
            "bytes": self.budget.used.load(Ordering::Relaxed),
            "capBytes": self.budget.cap,
        })
    }

    /// A new record; `id` is the client's choice or `r<n>`. A reused id replaces the old record,
    /// which the new one keeps in `earlier` (with the old one's own earlier ones).
    pub(crate) fn begin(&self, id: Option<&str>, method: &str, path: &str) -> Arc<RequestRecord> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let id = id
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("r{n}"));
        let started = Instant::now();
        let (closed, _) = watch::channel(None);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let earlier = match inner.0.get(&id) {
            Some(old) => {
                let mut list =
                    std::mem::take(&mut *old.earlier.lock().unwrap_or_else(|e| e.into_inner()));
                // Earlier requests are summaries: their transcripts go.
                old.forget();
                list.push(old.clone());
                let cut = list.len().saturating_sub(MAX_EARLIER);
                list.drain(..cut);
                list
            }
            None => Vec::new(),
        };
        let fixed = RECORD_BYTES * (1 + earlier.len()) + id.len() + path.len();
        self.budget.used.fetch_add(fixed, Ordering::Relaxed);
        let rec = Arc::new(RequestRecord {
            id: id.clone(),
            scenario: Mutex::new(None),
            method: method.to_owned(),
            path: path.to_owned(),
            seed: Mutex::new(None),
            faults: Mutex::new(Vec::new()),
            started,
            started_ms: started.duration_since(self.start).as_millis() as u64,
            bytes_written: AtomicU64::new(0),
            transcript: Mutex::new(Transcript::default()),
            live: AtomicBool::new(true),
            charged: AtomicUsize::new(fixed),
            budget: self.budget.clone(),
            truncated: AtomicBool::new(false),
            closed,
            end: Mutex::new(None),
            end_at: Mutex::new(None),
            last_event_id: Mutex::new(None),
            earlier: Mutex::new(earlier),
        });
        if inner.0.insert(id.clone(), rec.clone()).is_none() {
            inner.1.push_back(id);
        }
        // Forget the oldest while over a cap (leaving the new record).
        while inner.1.len() > MAX_RECORDS
            || (inner.1.len() > 1 && self.budget.used.load(Ordering::Relaxed) > self.budget.cap)
        {
            let Some(old) = inner.1.pop_front() else {
                break;
            };
            if let Some(r) = inner.0.remove(&old) {
                r.forget();
            }
        }
        rec
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<RequestRecord>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .get(id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn records_writes_and_close_once() {
        let reg = Registry::new();
        let r = reg.begin(Some("x"), "GET", "/");
        r.wrote(b"abc");
        tokio::time::advance(std::time::Duration::from_millis(30)).await;
        r.client_closed();
        tokio::time::advance(std::time::Duration::from_millis(30)).await;
        r.client_closed();
        assert_eq!(r.closed_ms(), Some(30));
        assert!(r.wait_closed(std::time::Duration::from_millis(1)).await);
        let j = reg.get("x").unwrap().to_json();
        assert_eq!(j["bytesWritten"], 3);
        assert_eq!(j["transcript"][0]["bytes"], "abc");
        assert_eq!(j["transcript"][0]["base64"], "YWJj");
        assert_eq!(reg.begin(None, "GET", "/").id, "r2");
    }

    #[test]
    fn memory_is_capped_in_bytes() {
        let reg = Registry::with_cap(200 * 1024);
        let chunk = vec![b'x'; 1000];
        let mut recs = Vec::new();
        for i in 0..40 {
            let r = reg.begin(Some(&format!("id{i}")), "GET", "/");
            for _ in 0..30 {
                r.wrote(&chunk);
            }
            recs.push(r);
        }
        let used = reg.usage()["bytes"].as_u64().unwrap();
        assert!(used <= 200 * 1024, "{used}");
        // The newest are kept whole, the oldest forgotten (transcripts freed).
        let newest = reg.get("id39").unwrap().to_json();
        assert_eq!(newest["transcriptTruncated"], false);
        assert_eq!(newest["transcript"].as_array().unwrap().len(), 30);
        assert!(reg.get("id0").is_none());
        assert!(recs[0].transcript().is_empty());
        assert_eq!(recs[0].to_json()["bytesWritten"], 30_000);
        // Forgetting gives every byte back.
        drop(recs);
        let reg = Registry::with_cap(10 * 1024);
        let r = reg.begin(Some("big"), "GET", "/");
        for _ in 0..30 {
            r.wrote(&chunk);
        }
        assert_eq!(r.to_json()["transcriptTruncated"], true);
        assert!(reg.usage()["bytes"].as_u64().unwrap() <= 10 * 1024);
        for i in 0..5 {
            reg.begin(Some(&format!("n{i}")), "GET", "/");
        }
        assert!(reg.get("big").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_reused_id_keeps_the_earlier_requests_and_the_gap() {
        let reg = Registry::new();
        let first = reg.begin(Some("x"), "GET", "/");
        tokio::time::advance(std::time::Duration::from_millis(40)).await;
        first.ended("reset");
        tokio::time::advance(std::time::Duration::from_millis(120)).await;
        let second = reg.begin(Some("x"), "GET", "/");
        *second.last_event_id.lock().unwrap() = Some("3".into());
        let j = reg.get("x").unwrap().to_json();
        assert_eq!(j["lastEventId"], "3");
        assert_eq!(j["gapAfterPreviousMs"], 120);
        assert_eq!(j["earlier"][0]["serverEnd"], "reset");
        assert_eq!(j["earlier"][0]["lastEventId"], Value::Null);
        for _ in 0..20 {
            reg.begin(Some("x"), "GET", "/");
        }
        let j = reg.get("x").unwrap().to_json();
        assert_eq!(j["earlier"].as_array().unwrap().len(), MAX_EARLIER);
        // Only the newest record holds the list: no chain of old records stays alive.
        assert!(first.earlier().is_empty());
    }
}
