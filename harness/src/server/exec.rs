//! The executor: performs a wire plan on a raw socket with tokio time.
//!
//! The plan is a schedule: every wait is counted from the start of the plan (`sleep_until`),
//! so a late write does not delay the ones after it, and the lateness of each timed write (one
//! that follows a wait) against its planned time goes into the server's stats.
//!
//! While it writes, it reads the socket concurrently: a read of 0 (FIN) or an error means the
//! client closed, which is recorded (with its time) and ends the plan. Every wait, and a
//! stall, is interruptible by that and by the server's shutdown signal. A reset sets
//! `SO_LINGER` to 0 before the socket is dropped, so the kernel sends RST instead of FIN.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::registry::RequestRecord;
use super::stats::ServerStats;
use crate::plan::{Action, Plan, Tag};
use crate::scenario::Framing;

/// How long the server waits for the client to close after it closed its side cleanly (so
/// the registry can still record the client's close).
const LINGER_AFTER_CLOSE: Duration = Duration::from_secs(10);

/// How the plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The server closed cleanly (or hung up), then the client closed or the linger passed.
    Closed,
    /// The server reset the connection.
    Reset,
    /// The client closed first (seen by a read or a failed write).
    ClientClosed,
    /// Server shutdown.
    Shutdown,
}

async fn write(
    wr: &mut tokio::net::tcp::WriteHalf<'_>,
    rec: &RequestRecord,
    bytes: &[u8],
) -> std::io::Result<()> {
    let t = rec.elapsed_ms();
    wr.write_all(bytes).await?;
    rec.wrote_at(t, bytes);
    Ok(())
}

/// Runs `plan` on `stream`. `head` is the serialized response head.
pub(crate) async fn execute(
    stream: &mut TcpStream,
    head: &[u8],
    plan: &Plan,
    framing: Framing,
    rec: &RequestRecord,
    stats: &ServerStats,
    mut shutdown: watch::Receiver<bool>,
) -> Ending {
    let _ = stream.set_nodelay(true);
    let chunked = framing == Framing::Chunked;
    let ending = {
        let (mut rd, mut wr) = stream.split();
        let watcher = async {
            // Only the client's close matters here (it sends nothing after its request).
            let mut buf = [0u8; 512];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::pin!(watcher);
        let stop = async {
            let _ = shutdown.wait_for(|v| *v).await;
        };
        tokio::pin!(stop);
        let writer = async {
            // When the next write is due, and whether it follows a wait (a timed write).
            let mut due = tokio::time::Instant::now();
            let mut timed = false;
            for action in plan {
                match action {
                    Action::Head => write(&mut wr, rec, head).await?,
                    Action::Write { bytes, tag } => {
                        if std::mem::take(&mut timed) {
                            stats.wrote(due.elapsed());
                        }
                        if chunked && *tag != Tag::Wire {
                            let mut buf = Vec::with_capacity(bytes.len() + 16);
                            buf.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
                            buf.extend_from_slice(bytes);
                            buf.extend_from_slice(b"\r\n");
                            write(&mut wr, rec, &buf).await?;
                        } else {
                            write(&mut wr, rec, bytes).await?;
                        }
                    }
                    Action::Wait(ms) => {
                        match due.checked_add(Duration::from_millis(*ms)) {
                            Some(d) => due = d,
                            // Beyond what the clock can count: forever.
                            None => std::future::pending::<()>().await,
                        }
                        timed = true;
                        tokio::time::sleep_until(due).await;
                    }
                    Action::Stall => {
                        rec.ended("stall");
                        std::future::pending::<()>().await;
                    }
                    Action::Close => {
                        if chunked {
                            write(&mut wr, rec, b"0\r\n\r\n").await?;
                        }
                        wr.shutdown().await?;
                        rec.ended("close");
                        return Ok(Ending::Closed);
                    }
                    Action::Hangup => {
                        wr.shutdown().await?;
                        rec.ended("hangup");
                        return Ok(Ending::Closed);
                    }
                    Action::Reset => {
                        rec.ended("reset");
                        return Ok(Ending::Reset);
                    }
                }
            }
            wr.shutdown().await?;
            rec.ended("close");
            Ok::<Ending, std::io::Error>(Ending::Closed)
        };
        tokio::pin!(writer);
        let first = tokio::select! {
            _ = &mut watcher => Ending::ClientClosed,
            r = &mut writer => match r {
                Ok(e) => e,
                Err(_) => Ending::ClientClosed,
            },
            _ = &mut stop => Ending::Shutdown,
        };
        match first {
            Ending::ClientClosed => {
                rec.client_closed();
                Ending::ClientClosed
            }
            Ending::Closed => {
                // Our side is closed; record the client's close when it comes.
                tokio::select! {
                    _ = &mut watcher => rec.client_closed(),
                    _ = &mut stop => {},
                    _ = tokio::time::sleep(LINGER_AFTER_CLOSE) => {},
                }
                Ending::Closed
            }
            other => other,
        }
    };
    match ending {
        Ending::Reset => {
            let _ = socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
        }
        Ending::Shutdown => rec.ended("shutdown"),
        _ => {}
    }
    ending
}
