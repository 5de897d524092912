//! Server-wide counters for `GET /_harness/stats`: connections open and served, writes, and
//! the lateness of every timed write against its plan (an HDR histogram in microseconds), so a
//! load test can read the server's own view of how late it was.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// The counters.
#[derive(Debug)]
pub(crate) struct ServerStats {
    open: AtomicU64,
    total: AtomicU64,
    writes: AtomicU64,
    /// Lateness of writes, µs (3 significant digits).
    late: Mutex<Histogram<u64>>,
}

/// Counts one open connection while it lives.
#[derive(Debug)]
pub(crate) struct Open<'a>(&'a ServerStats);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for ServerStats {
    fn default() -> Self {
        ServerStats::new()
    }
}

impl ServerStats {
    pub(crate) fn new() -> ServerStats {
        // 1 µs to 1 hour at 3 significant digits: constant, valid bounds.
        let late = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        ServerStats {
            open: AtomicU64::new(0),
            total: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            late: Mutex::new(late),
        }
    }

    /// A connection was accepted; it counts as open until the guard is dropped.
    pub(crate) fn open(&self) -> Open<'_> {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
        Open(self)
    }

    /// A timed write went out `late` after its planned time.
    pub(crate) fn wrote(&self, late: Duration) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX).max(1);
        self.late
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .saturating_record(us);
    }

    /// Forgets the lateness and write counts (the start of a measurement).
    pub(crate) fn reset(&self) {
        self.writes.store(0, Ordering::Relaxed);
        self.late.lock().unwrap_or_else(|e| e.into_inner()).reset();
    }

    /// `{connections: {open, total}, writes, lateMs: {count, p50, p99, p999, max}}`.
    pub(crate) fn to_json(&self) -> Value {
        let h = self.late.lock().unwrap_or_else(|e| e.into_inner());
        let ms = |us: u64| us as f64 / 1000.0;
        json!({
            "connections": {
                "open": self.open.load(Ordering::Relaxed),
                "total": self.total.load(Ordering::Relaxed),
            },
            "writes": self.writes.load(Ordering::Relaxed),
            "lateMs": {
                "count": h.len(),
                "p50": ms(h.value_at_quantile(0.5)),
                "p99": ms(h.value_at_quantile(0.99)),
                "p999": ms(h.value_at_quantile(0.999)),
                "max": ms(h.max()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_open_connections() {
        let s = ServerStats::new();
        for ms in 1..=100u64 {
            s.wrote(Duration::from_millis(ms));
        }
        let guard = s.open();
        let j = s.to_json();
        assert_eq!(j["writes"], 100);
        assert_eq!(j["connections"]["open"], 1);
        let p50 = j["lateMs"]["p50"].as_f64().unwrap();
        assert!((49.9..=50.1).contains(&p50), "{p50}");
        assert!(j["lateMs"]["max"].as_f64().unwrap() >= 99.9);
        drop(guard);
        assert_eq!(s.to_json()["connections"]["open"], 0);
        s.reset();
        assert_eq!(s.to_json()["lateMs"]["count"], 0);
    }
}
