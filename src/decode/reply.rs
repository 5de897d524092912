//! The reply accumulator: every returned [`StreamEvent`] applied to the [`Reply`] (text
//! appended, tool calls merged by index, usage merged field by field, the finish reason).

use super::event::StreamEvent;
use crate::outcome::{Reply, ToolCall, Usage};

/// A [`Reply`] and what merging into it needs.
#[derive(Debug, Default)]
pub(crate) struct ReplyBuilder {
    reply: Reply,
    /// The tool-call index and position in `reply.tool_calls` of the last fragment merged:
    /// fragments of one call come in a row, so finding a call's position is usually O(1) (a
    /// search of the calls otherwise; a map would cost more wasm than it saves).
    last_tool: Option<(u32, usize)>,
}

impl ReplyBuilder {
    /// Continues `reply` (a resumed stream): new deltas append to it.
    pub(crate) fn resume(reply: Reply) -> Self {
        ReplyBuilder {
            reply,
            last_tool: None,
        }
    }

    /// Applies one event (the one place the reply changes).
    pub(crate) fn apply(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Text { text } => self.reply.text.push_str(text),
            StreamEvent::Thinking { text } => self.reply.thinking.push_str(text),
            StreamEvent::ToolCall {
                index,
                id,
                name,
                arguments,
            } => {
                let calls = &self.reply.tool_calls;
                let found = match self.last_tool {
                    Some((i, p)) if i == *index => Some(p),
                    // The first call with this index, as sent.
                    _ => calls.iter().position(|c| c.index == *index),
                };
                let pos = match found {
                    Some(p) => p,
                    None => {
                        self.reply.tool_calls.push(ToolCall {
                            index: *index,
                            ..ToolCall::default()
                        });
                        self.reply.tool_calls.len().saturating_sub(1)
                    }
                };
                self.last_tool = Some((*index, pos));
                if let Some(call) = self.reply.tool_calls.get_mut(pos) {
                    merge_fragment(&mut call.id, id.as_deref());
                    merge_fragment(&mut call.name, name.as_deref());
                    call.arguments.push_str(arguments);
                }
            }
            StreamEvent::Usage(u) => {
                let cur = self.reply.usage.get_or_insert_with(Usage::default);
                if u.input_tokens.is_some() {
                    cur.input_tokens = u.input_tokens;
                }
                if u.output_tokens.is_some() {
                    cur.output_tokens = u.output_tokens;
                }
            }
            StreamEvent::Finish { reason, raw } => {
                self.reply.finish_reason = Some(*reason);
                self.reply.raw_finish_reason.clone_from(raw);
            }
            StreamEvent::KeepAlive | StreamEvent::Meta { .. } | StreamEvent::End(_) => {}
        }
    }

    /// The text, to append a delta in place (the sink's text path).
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.reply.text
    }

    /// The thinking text, to append a delta in place.
    pub(crate) fn thinking_mut(&mut self) -> &mut String {
        &mut self.reply.thinking
    }

    /// Everything so far.
    pub(crate) fn reply(&self) -> &Reply {
        &self.reply
    }

    /// Takes the reply out (at the end).
    pub(crate) fn take(&mut self) -> Reply {
        self.last_tool = None;
        core::mem::take(&mut self.reply)
    }
}

/// Appends a name or id fragment. A fragment equal to everything accumulated so far is a
/// repeat (some OpenAI-compatible servers resend the id and name on every chunk), not a piece.
fn merge_fragment(acc: &mut Option<String>, fragment: Option<&str>) {
    let Some(f) = fragment.filter(|f| !f.is_empty()) else {
        return;
    };
    match acc {
        Some(a) if a == f => {}
        Some(a) => a.push_str(f),
        None => *acc = Some(f.to_owned()),
    }
}
