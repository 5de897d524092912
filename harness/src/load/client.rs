//! The load client: N raw HTTP/1.1 streams over loopback at once, each checked byte for byte
//! against the plan as it arrives (nothing is kept but the position), with the time of every
//! planned write's arrival.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::plan::{Action, Plan};

/// What every stream must receive.
#[derive(Debug)]
pub(crate) struct Expected {
    /// The body, exactly.
    pub body: Vec<u8>,
    /// Per body write: where it ends in `body`, and when it is planned (ms after the head).
    pub writes: Vec<(usize, u64)>,
}

impl Expected {
    /// From a plan (framing `close`: the body is the writes back to back).
    pub(crate) fn from_plan(plan: &Plan) -> Expected {
        let (mut body, mut writes, mut at) = (Vec::new(), Vec::new(), 0u64);
        for a in plan {
            match a {
                Action::Wait(ms) => at += ms,
                Action::Write { bytes, .. } => {
                    body.extend_from_slice(bytes);
                    writes.push((body.len(), at));
                }
                _ => {}
            }
        }
        Expected { body, writes }
    }
}

/// One stream's result.
#[derive(Debug, Default)]
pub(crate) struct StreamResult {
    /// TCP connect.
    pub connect: Duration,
    /// From sending the request to the end of the response head.
    pub head: Duration,
    /// Every planned write's arrival lateness, µs: (arrival - head arrival) - planned offset,
    /// 0 when early.
    pub late_us: Vec<u64>,
    /// What went wrong (`None`: every byte exact, then EOF).
    pub error: Option<String>,
}

/// Runs one stream: connect to `addr`, wait for `start` (every stream connects first, so a
/// connect is timed without the other streams' work), send `request`, check the body.
pub(crate) async fn stream(
    addr: String,
    request: Arc<Vec<u8>>,
    want: Arc<Expected>,
    start: Option<Arc<tokio::sync::Barrier>>,
) -> StreamResult {
    let mut r = StreamResult::default();
    let t0 = Instant::now();
    let connected = TcpStream::connect(&addr).await;
    r.connect = t0.elapsed();
    if let Some(b) = &start {
        b.wait().await;
    }
    let t0 = Instant::now();
    let mut s = match connected {
        Ok(s) => s,
        Err(e) => {
            r.error = Some(format!("connect: {e}"));
            return r;
        }
    };
    let _ = s.set_nodelay(true);
    if let Err(e) = s.write_all(&request).await {
        r.error = Some(format!("write: {e}"));
        return r;
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut head: Vec<u8> = Vec::new();
    let mut head_at: Option<Instant> = None;
    let mut pos = 0usize;
    let mut next_write = 0usize;
    r.late_us.reserve(want.writes.len());
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                r.error = Some(format!("read after {pos} body bytes: {e}"));
                return r;
            }
        };
        let now = Instant::now();
        let chunk = buf.get(..n).unwrap_or_default();
        if head_at.is_none() {
            head.extend_from_slice(chunk);
            let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                if head.len() > 64 * 1024 {
                    r.error = Some("no response head in 64 KiB".into());
                    return r;
                }
                continue;
            };
            if !head.starts_with(b"HTTP/1.1 200") {
                let line = String::from_utf8_lossy(&head[..head.len().min(80)]).into_owned();
                r.error = Some(format!("status: {line}"));
                return r;
            }
            head_at = Some(now);
            r.head = now - t0;
            let rest = head.split_off(end + 4);
            if !check(&want.body, &mut pos, &rest, &mut r) {
                return r;
            }
        } else if !check(&want.body, &mut pos, chunk, &mut r) {
            return r;
        }
        if let Some(h) = head_at {
            while let Some(&(end, planned)) = want.writes.get(next_write) {
                if end > pos {
                    break;
                }
                let since = now.saturating_duration_since(h);
                let late = since.saturating_sub(Duration::from_millis(planned));
                r.late_us.push(late.as_micros() as u64);
                next_write += 1;
            }
        }
    }
    if pos != want.body.len() {
        r.error = Some(format!(
            "{pos} of {} body bytes before EOF",
            want.body.len()
        ));
    }
    r
}

/// Compares `got` with the body at `pos`; records a mismatch.
fn check(body: &[u8], pos: &mut usize, got: &[u8], r: &mut StreamResult) -> bool {
    let want = body
        .get(*pos..(*pos + got.len()).min(body.len()))
        .unwrap_or_default();
    if want != got {
        let at = want.iter().zip(got).take_while(|(a, b)| a == b).count();
        r.error = Some(format!(
            "byte {} differs (or the body is longer)",
            *pos + at
        ));
        return false;
    }
    *pos += got.len();
    true
}
