//! What a decoder produces: [`StreamEvent`], one per provider event or part of one, in stream
//! order.

use serde::Serialize;

use crate::error::StreamError;
use crate::outcome::{FinishReason, Usage};
use crate::text::JsonObject;

/// What a decoder produces, in stream order. Serialises as `{"type": "...", ...}` (the CLI's
/// per-event lines and the JS `onEvent` argument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// Answer text.
    Text {
        /// The delta.
        text: String,
    },
    /// Thinking / reasoning text.
    Thinking {
        /// The delta.
        text: String,
    },
    /// A tool-call fragment (merged into `reply().tool_calls` by index).
    #[serde(rename_all = "camelCase")]
    ToolCall {
        /// The provider's index.
        index: u32,
        /// The id, on the fragment that carries it.
        id: Option<String>,
        /// The name, on the fragment that carries it.
        name: Option<String>,
        /// An argument fragment.
        arguments: String,
    },
    /// Usage as sent (also merged into `reply().usage`).
    Usage(Usage),
    /// The provider gave a finish reason (the stream may still carry usage or a terminator).
    Finish {
        /// The reason, normalised.
        reason: FinishReason,
        /// The provider's own string, exactly as sent (`None` when it sent none: the reason
        /// was implied by a terminator).
        raw: Option<String>,
    },
    /// A comment or a provider ping.
    KeepAlive,
    /// A non-content event, by its provider name (`message_start`, `content_block_stop`, ...).
    #[serde(rename_all = "camelCase")]
    Meta {
        /// The provider's event name.
        name: String,
    },
    /// The stream is over. `None`: complete (terminator seen). `Some`: a provider or protocol
    /// error. Nothing follows. Serialises as `{"type": "end", "error": null | {..}}`.
    #[serde(serialize_with = "serialize_end")]
    End(Option<StreamError>),
}

/// `End`'s payload as an object (an internally tagged variant must serialise as a map).
fn serialize_end<S: serde::Serializer>(
    error: &Option<StreamError>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct EndPayload<'a> {
        error: Option<&'a StreamError>,
    }
    EndPayload {
        error: error.as_ref(),
    }
    .serialize(s)
}

impl StreamEvent {
    /// The event as one JSON object (`{"type": "...", ...}`, the CLI's per-event lines and the
    /// JS `onEvent` argument): byte for byte what `serde_json::to_string` makes of it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends [`StreamEvent::to_json`] to `out`.
    pub fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        match self {
            StreamEvent::Text { text } => {
                o.str("type", "text");
                o.str("text", text);
            }
            StreamEvent::Thinking { text } => {
                o.str("type", "thinking");
                o.str("text", text);
            }
            StreamEvent::ToolCall {
                index,
                id,
                name,
                arguments,
            } => {
                o.str("type", "tool_call");
                o.u64("index", u64::from(*index));
                o.opt_str("id", id.as_deref());
                o.opt_str("name", name.as_deref());
                o.str("arguments", arguments);
            }
            StreamEvent::Usage(u) => {
                o.str("type", "usage");
                u.write_members(&mut o);
            }
            StreamEvent::Finish { reason, raw } => {
                o.str("type", "finish");
                o.str("reason", reason.code());
                o.opt_str("raw", raw.as_deref());
            }
            StreamEvent::KeepAlive => o.str("type", "keep_alive"),
            StreamEvent::Meta { name } => {
                o.str("type", "meta");
                o.str("name", name);
            }
            StreamEvent::End(error) => {
                o.str("type", "end");
                match error {
                    Some(e) => e.write_json(o.key("error")),
                    None => o.raw("error", "null"),
                }
            }
        }
        o.end();
    }

    /// Whether this event is a content delta (resets the content timer, counts as a delta).
    pub fn is_content(&self) -> bool {
        matches!(
            self,
            StreamEvent::Text { .. } | StreamEvent::Thinking { .. } | StreamEvent::ToolCall { .. }
        )
    }
}
