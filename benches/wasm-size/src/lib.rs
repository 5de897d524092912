//! A thin `Guard` around the core [`Driver`], as a browser layer would export it: what the
//! core costs in the wasm when a small glue drives it (see Cargo.toml).

use streamguard::{Config, Driver, FlushMode, Millis, NetworkError, NetworkErrorKind, Output, Protocol};
use wasm_bindgen::prelude::*;

/// One stream.
#[wasm_bindgen]
pub struct Guard {
    driver: Driver,
    /// Text drained and not taken yet.
    text: String,
    result: Option<String>,
    events: String,
    aborted: bool,
}

#[wasm_bindgen]
impl Guard {
    /// A guard for a response the page already has.
    #[wasm_bindgen(constructor)]
    pub fn new(protocol: &str, flush_ms: f64, events: bool, now: f64) -> Guard {
        let config = Config {
            protocol: Protocol::from_name(protocol).unwrap_or_default(),
            flush: if flush_ms > 0.0 {
                FlushMode::Interval { ms: flush_ms as u64 }
            } else {
                FlushMode::Immediate
            },
            emit_events: events,
            ..Config::default()
        };
        Guard {
            driver: Driver::for_response(config, Millis(now as u64)),
            text: String::new(),
            result: None,
            events: String::new(),
            aborted: false,
        }
    }

    /// The response head.
    pub fn head(&mut self, status: u16, content_type: &str, now: f64) {
        self.driver
            .handle_response_head(Millis(now as u64), status, &[("content-type", content_type)]);
    }

    /// One read; whether there is text to take (`text()`): no string crosses for a read
    /// that carried none.
    pub fn read(&mut self, bytes: &[u8], now: f64) -> bool {
        self.driver.handle_bytes(Millis(now as u64), bytes);
        self.drain_text()
    }

    /// The text drained since the last call.
    pub fn text(&mut self) -> String {
        core::mem::take(&mut self.text)
    }

    /// The body ended.
    pub fn eof(&mut self, now: f64) -> String {
        self.driver.handle_eof(Millis(now as u64));
        self.drain()
    }

    /// The read failed.
    pub fn error(&mut self, message: &str, now: f64) -> String {
        self.driver.handle_error(
            Millis(now as u64),
            NetworkError {
                kind: NetworkErrorKind::Other,
                message: message.to_owned(),
            },
        );
        self.drain()
    }

    /// The host's one timer fired.
    pub fn timeout(&mut self, now: f64) -> String {
        self.driver.handle_timeout(Millis(now as u64));
        self.drain()
    }

    /// An animation frame.
    pub fn frame(&mut self, now: f64) -> String {
        self.driver.handle_frame(Millis(now as u64));
        self.drain()
    }

    /// The caller aborted.
    pub fn abort(&mut self, now: f64) -> String {
        self.driver.handle_abort(Millis(now as u64));
        self.drain()
    }

    /// When to call `timeout` next.
    pub fn deadline(&self) -> Option<f64> {
        self.driver.poll_deadline().map(|m| m.0 as f64)
    }

    /// Whether the fetch should be aborted.
    pub fn abort_requested(&self) -> bool {
        self.aborted
    }

    /// The result as JSON without its text, once finished.
    pub fn result(&self) -> Option<String> {
        self.result.clone()
    }

    /// The events since the last call, one JSON object per line.
    pub fn events(&mut self) -> String {
        core::mem::take(&mut self.events)
    }

    fn drain(&mut self) -> String {
        self.drain_text();
        self.text()
    }

    fn drain_text(&mut self) -> bool {
        while let Some(out) = self.driver.poll_output() {
            match out {
                Output::Text(t) if self.text.is_empty() => self.text = t,
                Output::Text(t) => self.text.push_str(&t),
                Output::Event(e) => {
                    e.write_json(&mut self.events);
                    self.events.push('\n');
                }
                Output::AbortRequest => self.aborted = true,
                Output::Finished(r) => self.result = Some(r.to_json_without_text()),
                Output::Connect { .. } => {}
            }
        }
        !self.text.is_empty()
    }
}
