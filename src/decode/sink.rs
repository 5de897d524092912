//! [`EventSink`]: where provider decoders put their [`StreamEvent`]s. It drops empty deltas,
//! remembers whether a finish reason was seen, and accepts nothing after `End`.
//!
//! Text and thinking go straight into the reply ([`ReplyBuilder`]) as they are decoded, and
//! the queue only records where they are: a delta is copied once, from the frame into the
//! reply text, and a `StreamEvent::Text` (a `String`) exists only when someone asks for one
//! ([`EventSink::pop`]; the session takes [`Decoded`] positions instead). A delta is counted
//! as applied (part of [`EventSink::take_reply`]) once its event was taken: a caller that stops
//! in the middle of a frame (a cap) does not get the rest of that frame's text.

use crate::fifo::Fifo;
use std::ops::Range;

use super::event::StreamEvent;
use super::reply::ReplyBuilder;
use crate::error::StreamError;
use crate::json::Json;
use crate::outcome::{FinishReason, Reply, Usage};
use crate::text::grow;

/// A queued event. Text and thinking are already in the reply: the queue holds their place.
#[derive(Debug)]
enum Queued {
    Text(Range<usize>),
    Thinking(Range<usize>),
    /// Any other event (applied to the reply when taken).
    Event(StreamEvent),
}

/// An event as the session takes it: text and thinking by their place in the reply, other
/// events whole (already applied to the reply).
#[derive(Debug)]
pub(crate) enum Decoded {
    /// A text delta: `reply().text[range]`.
    Text(Range<usize>),
    /// A thinking delta: `reply().thinking[range]`.
    Thinking(Range<usize>),
    /// Any other event.
    Event(StreamEvent),
}

/// The queue of decoded events and the reply they build, with the few facts the verdict needs.
#[derive(Debug, Default)]
pub(crate) struct EventSink {
    queue: Fifo<Queued>,
    reply: ReplyBuilder,
    /// `reply.text` / `reply.thinking` up to here belong to events already taken.
    taken_text: usize,
    taken_thinking: usize,
    /// A `Finish` was produced: at EOF the text is whole even without the terminator.
    finish_seen: bool,
    /// `Some` once `End` was produced (the inner value is its error).
    end: Option<Option<StreamError>>,
    keep_alives: u64,
    /// Nobody takes `Meta` and `KeepAlive` events (the session without `emit_events`): they
    /// are not queued at all (keep-alives are still counted).
    quiet: bool,
}

impl EventSink {
    /// A sink for a resumed stream: new deltas append to `reply` (whose finish reason, if
    /// any, counts as seen).
    pub(crate) fn resumed(reply: Reply) -> Self {
        EventSink {
            finish_seen: reply.finish_reason.is_some(),
            taken_text: reply.text.len(),
            taken_thinking: reply.thinking.len(),
            reply: ReplyBuilder::resume(reply),
            ..EventSink::default()
        }
    }

    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn push(&mut self, event: StreamEvent) {
        if self.end.is_some() {
            return;
        }
        match &event {
            StreamEvent::Finish { .. } => self.finish_seen = true,
            StreamEvent::End(e) => self.end = Some(e.clone()),
            _ => {}
        }
        self.queue.push_back(Queued::Event(event));
    }

    /// Answer text; empty deltas are dropped.
    pub(crate) fn text(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty() && self.end.is_none()) {
            let out = self.reply.text_mut();
            let start = out.len();
            grow(out, t.len());
            out.push_str(t);
            self.queue.push_back(Queued::Text(start..start + t.len()));
        }
    }

    /// Answer text from a JSON value: a string is unescaped straight into the reply (no
    /// intermediate copy); anything else, an empty string and an invalid string are dropped.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn text_of(&mut self, value: Option<Json<'_>>) {
        self.string_of(value, false);
    }

    /// Thinking text; empty deltas are dropped.
    pub(crate) fn thinking(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty() && self.end.is_none()) {
            let out = self.reply.thinking_mut();
            let start = out.len();
            grow(out, t.len());
            out.push_str(t);
            self.queue
                .push_back(Queued::Thinking(start..start + t.len()));
        }
    }

    /// Thinking text from a JSON value, like [`EventSink::text_of`].
    pub(crate) fn thinking_of(&mut self, value: Option<Json<'_>>) {
        self.string_of(value, true);
    }

    /// [`EventSink::text_of`] (or `thinking_of`), saying whether `value` is a string that
    /// reads: `false` when it is absent, of another type, or has an invalid surrogate escape
    /// (where [`Json::as_str`] answers `None`).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn string_of(&mut self, value: Option<Json<'_>>, thinking: bool) -> bool {
        let (read, range) = self.append(value, thinking);
        if let Some(range) = range {
            self.queue.push_back(if thinking {
                Queued::Thinking(range)
            } else {
                Queued::Text(range)
            });
        }
        read
    }

    /// Appends a JSON string to the text or the thinking: whether it was a string that reads
    /// (after the end: whether it is a string), and where it went, if anywhere.
    fn append(&mut self, value: Option<Json<'_>>, thinking: bool) -> (bool, Option<Range<usize>>) {
        let Some(value) = value else {
            return (false, None);
        };
        if self.end.is_some() {
            return (value.is_string(), None);
        }
        let out = if thinking {
            self.reply.thinking_mut()
        } else {
            self.reply.text_mut()
        };
        let start = out.len();
        let written = value.write_str(out);
        let end = out.len();
        (written, (written && end > start).then_some(start..end))
    }

    /// A tool-call fragment; one with no id, no name and no arguments is dropped.
    pub(crate) fn tool(
        &mut self,
        index: u32,
        id: Option<&str>,
        name: Option<&str>,
        arguments: &str,
    ) {
        let id = id.filter(|s| !s.is_empty()).map(str::to_owned);
        let name = name.filter(|s| !s.is_empty()).map(str::to_owned);
        if id.is_none() && name.is_none() && arguments.is_empty() {
            return;
        }
        self.push(StreamEvent::ToolCall {
            index,
            id,
            name,
            arguments: arguments.to_owned(),
        });
    }

    /// Usage, when at least one count is present.
    pub(crate) fn usage(&mut self, input_tokens: Option<u64>, output_tokens: Option<u64>) {
        if input_tokens.is_some() || output_tokens.is_some() {
            self.push(StreamEvent::Usage(Usage {
                input_tokens,
                output_tokens,
            }));
        }
    }

    /// A finish reason, with the provider's own string when it sent one.
    pub(crate) fn finish(&mut self, reason: FinishReason, raw: Option<&str>) {
        self.push(StreamEvent::Finish {
            reason,
            raw: raw.map(str::to_owned),
        });
    }

    /// Stops queuing `Meta` and `KeepAlive` events (nobody takes them).
    pub(crate) fn set_quiet(&mut self) {
        self.quiet = true;
    }

    /// A non-content event.
    pub(crate) fn meta(&mut self, name: &str) {
        if self.quiet {
            return;
        }
        self.push(StreamEvent::Meta {
            name: name.to_owned(),
        });
    }

    /// A comment or a provider ping.
    pub(crate) fn keep_alive(&mut self) {
        if self.end.is_none() {
            self.keep_alives += 1;
            if !self.quiet {
                self.push(StreamEvent::KeepAlive);
            }
        }
    }

    /// The provider's terminator: `Finish{Stop}` first when no finish reason came before it.
    pub(crate) fn complete(&mut self) {
        if !self.finish_seen {
            self.finish(FinishReason::Stop, None);
        }
        self.push(StreamEvent::End(None));
    }

    /// Ends the stream with an error.
    pub(crate) fn fail(&mut self, error: StreamError) {
        self.push(StreamEvent::End(Some(error)));
    }

    /// The next queued event, taken: text and thinking by place, other events applied to the
    /// reply.
    pub(crate) fn pop_decoded(&mut self) -> Option<Decoded> {
        Some(match self.queue.pop_front()? {
            Queued::Text(range) => {
                self.taken_text = range.end;
                Decoded::Text(range)
            }
            Queued::Thinking(range) => {
                self.taken_thinking = range.end;
                Decoded::Thinking(range)
            }
            Queued::Event(event) => {
                self.reply.apply(&event);
                Decoded::Event(event)
            }
        })
    }

    /// The next queued event as a [`StreamEvent`] (text and thinking copied out of the reply).
    pub(crate) fn pop(&mut self) -> Option<StreamEvent> {
        Some(match self.pop_decoded()? {
            Decoded::Text(range) => StreamEvent::Text {
                text: self.slice(range, false).to_owned(),
            },
            Decoded::Thinking(range) => StreamEvent::Thinking {
                text: self.slice(range, true).to_owned(),
            },
            Decoded::Event(event) => event,
        })
    }

    /// `reply().text[range]` (or the thinking's).
    pub(crate) fn slice(&self, range: Range<usize>, thinking: bool) -> &str {
        let reply = self.reply.reply();
        let s = if thinking {
            &reply.thinking
        } else {
            &reply.text
        };
        s.get(range).unwrap_or_default()
    }

    /// Everything so far, including the text of events not taken yet.
    pub(crate) fn reply(&self) -> &Reply {
        self.reply.reply()
    }

    /// Takes the reply out: everything applied by the events taken. The deltas of events
    /// still queued move to the next reply (and apply there when taken).
    pub(crate) fn take_reply(&mut self) -> Reply {
        let mut reply = self.reply.take();
        let text_tail = split_tail(&mut reply.text, self.taken_text);
        let thinking_tail = split_tail(&mut reply.thinking, self.taken_thinking);
        self.reply.text_mut().push_str(&text_tail);
        self.reply.thinking_mut().push_str(&thinking_tail);
        for item in self.queue.iter_mut() {
            let (range, by) = match item {
                Queued::Text(r) => (r, self.taken_text),
                Queued::Thinking(r) => (r, self.taken_thinking),
                Queued::Event(_) => continue,
            };
            *range = range.start.saturating_sub(by)..range.end.saturating_sub(by);
        }
        self.taken_text = 0;
        self.taken_thinking = 0;
        reply
    }

    /// Whether a finish reason was seen (in this stream, or before a resume).
    pub(crate) fn has_finish(&self) -> bool {
        self.finish_seen
    }

    /// `Some` once `End` was produced: its error, or `None` for a complete stream.
    pub(crate) fn end(&self) -> Option<&Option<StreamError>> {
        self.end.as_ref()
    }

    /// Comments and provider pings so far.
    pub(crate) fn keep_alives(&self) -> u64 {
        self.keep_alives
    }

    /// Everything queued, in order (the provider decoders' unit tests read it).
    #[cfg(test)]
    pub(crate) fn drain(mut self) -> Vec<StreamEvent> {
        std::iter::from_fn(|| self.pop()).collect()
    }
}

/// Cuts `s` at `at` (a delta boundary) and returns what followed.
fn split_tail(s: &mut String, at: usize) -> String {
    if at < s.len() && s.is_char_boundary(at) {
        s.split_off(at)
    } else {
        String::new()
    }
}
