//! Wire plans: what a scenario compiles to and what faults rewrite.
//!
//! A plan is a list of [`Action`]s the executor (`server::exec`) performs on a raw socket, in
//! order, with tokio time. Body writes stay tagged with what they are ([`Tag`]) so SSE-aware
//! faults (stall after N events, drop the terminator) can find event boundaries; re-chunking
//! keeps the tag only on the piece that ends where the original write ended.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// What a body write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Tag {
    /// A whole provider event (an SSE event with its blank line, or one NDJSON line).
    Event,
    /// The provider's end-of-stream marker (`data: [DONE]`, `message_stop`, Ollama's done line).
    Terminator,
    /// A comment or a provider ping.
    Comment,
    /// Body bytes with no known boundary (a re-chunked piece, a raw send).
    #[default]
    Raw,
    /// Bytes written verbatim to the socket, bypassing the response framing (chunked
    /// encoding); faults never touch them.
    Wire,
}

/// One step of the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Write the response head (status line and headers).
    Head,
    /// Write body bytes (wrapped in a chunk when the framing is chunked, unless `Tag::Wire`).
    Write {
        /// The bytes.
        bytes: Bytes,
        /// What they are.
        tag: Tag,
    },
    /// Wait this many milliseconds (interruptible by shutdown and by the client closing).
    Wait(u64),
    /// Keep the socket open and send nothing until the client closes (or shutdown).
    Stall,
    /// End the body cleanly (chunked: the terminating chunk) and close.
    Close,
    /// Close the connection (FIN) without completing the framing.
    Hangup,
    /// Reset the TCP connection (SO_LINGER 0, then close): the client reads ECONNRESET.
    Reset,
}

impl Action {
    /// Whether the action ends the response.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(
            self,
            Action::Stall | Action::Close | Action::Hangup | Action::Reset
        )
    }

    /// Whether this is a body write that faults may rewrite.
    pub(crate) fn is_body_write(&self) -> bool {
        matches!(self, Action::Write { tag, .. } if *tag != Tag::Wire)
    }
}

/// A compiled scenario.
pub(crate) type Plan = Vec<Action>;

/// Total body bytes a plan writes (wire writes included).
pub(crate) fn body_len(plan: &[Action]) -> u64 {
    plan.iter()
        .map(|a| match a {
            Action::Write { bytes, .. } => bytes.len() as u64,
            _ => 0,
        })
        .sum()
}

/// The writes tagged [`Tag::Event`] (whole events, or the pieces that complete them).
pub(crate) fn count_events(plan: &[Action]) -> u64 {
    plan.iter()
        .filter(|a| {
            matches!(
                a,
                Action::Write {
                    tag: Tag::Event,
                    ..
                }
            )
        })
        .count() as u64
}

/// Makes sure the plan ends with a terminal action (a plan that runs out closes cleanly) and
/// drops everything after the first terminal action.
pub(crate) fn normalize(mut plan: Plan) -> Plan {
    if let Some(i) = plan.iter().position(Action::is_terminal) {
        plan.truncate(i + 1);
    } else {
        plan.push(Action::Close);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_appends_close_and_cuts_after_terminal() {
        let p = normalize(vec![Action::Head]);
        assert_eq!(p, vec![Action::Head, Action::Close]);
        let p = normalize(vec![
            Action::Head,
            Action::Stall,
            Action::Wait(5),
            Action::Close,
        ]);
        assert_eq!(p, vec![Action::Head, Action::Stall]);
    }
}
