//! [`EventSink`]: where provider decoders put their [`StreamEvent`]s. It drops empty deltas,
//! remembers whether a finish reason was seen, and accepts nothing after `End`.

use std::collections::VecDeque;

use super::event::StreamEvent;
use crate::error::StreamError;
use crate::outcome::{FinishReason, Usage};

/// The queue of decoded events, with the few facts the verdict needs.
#[derive(Debug, Default)]
pub(crate) struct EventSink {
    queue: VecDeque<StreamEvent>,
    /// A `Finish` was produced: at EOF the text is whole even without the terminator.
    finish_seen: bool,
    /// `Some` once `End` was produced (the inner value is its error).
    end: Option<Option<StreamError>>,
    keep_alives: u64,
}

impl EventSink {
    /// A sink for a resumed stream, whose reply already has a finish reason (or not).
    pub(crate) fn resumed(finish_seen: bool) -> Self {
        EventSink {
            finish_seen,
            ..EventSink::default()
        }
    }

    fn push(&mut self, event: StreamEvent) {
        if self.end.is_some() {
            return;
        }
        match &event {
            StreamEvent::Finish { .. } => self.finish_seen = true,
            StreamEvent::End(e) => self.end = Some(e.clone()),
            _ => {}
        }
        self.queue.push_back(event);
    }

    /// Answer text; empty deltas are dropped.
    pub(crate) fn text(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.push(StreamEvent::Text { text: t.to_owned() });
        }
    }

    /// Thinking text; empty deltas are dropped.
    pub(crate) fn thinking(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.push(StreamEvent::Thinking { text: t.to_owned() });
        }
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

    /// A non-content event.
    pub(crate) fn meta(&mut self, name: &str) {
        self.push(StreamEvent::Meta {
            name: name.to_owned(),
        });
    }

    /// A comment or a provider ping.
    pub(crate) fn keep_alive(&mut self) {
        if self.end.is_none() {
            self.keep_alives += 1;
            self.push(StreamEvent::KeepAlive);
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

    /// The next queued event.
    pub(crate) fn pop(&mut self) -> Option<StreamEvent> {
        self.queue.pop_front()
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
    pub(crate) fn drain(self) -> Vec<StreamEvent> {
        self.queue.into_iter().collect()
    }
}
