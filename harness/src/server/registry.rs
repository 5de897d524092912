//! The request registry: observability, so tests can prove a client really aborted.
//!
//! Every request gets a record: when it started, the bytes written, the wire transcript (bytes
//! with timestamps, the first [`TRANSCRIPT_CAP`] bytes), how the server ended it, and whether and
//! when the server saw the client close the connection, and the request's `Last-Event-ID`.
//! A reused id (a client's retry or SSE reconnect sends the same URL) starts a new record that
//! keeps the earlier ones with that id (`earlier`, at most [`MAX_EARLIER`]), so a test can
//! check every attempt. Waiters (`wait-closed`) are woken
//! through a `watch` channel, so nothing polls or sleeps.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes of transcript kept per request.
pub(crate) const TRANSCRIPT_CAP: usize = 64 * 1024;
/// Records kept (the oldest are forgotten first).
const MAX_RECORDS: usize = 4096;
/// Earlier requests with the same id kept per record.
pub(crate) const MAX_EARLIER: usize = 8;

/// The kept transcript: bytes kept so far, and the writes (ms after the start, bytes).
type Transcript = (usize, Vec<(u64, Vec<u8>)>);
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
    /// Records a socket write.
    pub(crate) fn wrote(&self, bytes: &[u8]) {
        self.bytes_written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let t = self.started.elapsed().as_millis() as u64;
        let mut tr = self.transcript.lock().unwrap_or_else(|e| e.into_inner());
        let room = TRANSCRIPT_CAP.saturating_sub(tr.0);
        if room > 0 {
            let keep = &bytes[..bytes.len().min(room)];
            tr.0 += keep.len();
            tr.1.push((t, keep.to_vec()));
        }
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
        self.transcript
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
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
            "transcriptTruncated": self.bytes_written.load(Ordering::Relaxed) as usize > TRANSCRIPT_CAP,
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
}

impl Registry {
    pub(crate) fn new() -> Self {
        Registry {
            start: Instant::now(),
            counter: AtomicU64::new(0),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
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
                list.push(old.clone());
                let cut = list.len().saturating_sub(MAX_EARLIER);
                list.drain(..cut);
                list
            }
            None => Vec::new(),
        };
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
            transcript: Mutex::new((0, Vec::new())),
            closed,
            end: Mutex::new(None),
            end_at: Mutex::new(None),
            last_event_id: Mutex::new(None),
            earlier: Mutex::new(earlier),
        });
        if inner.0.insert(id.clone(), rec.clone()).is_none() {
            inner.1.push_back(id);
        }
        while inner.1.len() > MAX_RECORDS {
            if let Some(old) = inner.1.pop_front() {
                inner.0.remove(&old);
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
