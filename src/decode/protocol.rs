//! The protocol registry: every [`Protocol`], its stable name, its framing and its decoder.
//! This is the one list a new protocol joins (see the [`super`] docs for the whole checklist).

use super::framing::Framing;
use super::sink::EventSink;
use super::{ai_sdk, anthropic, gemini, ollama, openai, openai_responses};
use crate::json::Json;

/// The wire protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// OpenAI Chat Completions (and every OpenAI-compatible server).
    OpenAi,
    /// OpenAI Responses API.
    OpenAiResponses,
    /// Anthropic Messages API.
    Anthropic,
    /// Ollama `/api/chat` and `/api/generate` NDJSON.
    Ollama,
    /// Google Gemini `streamGenerateContent`: SSE (`alt=sse`) or one JSON array streamed
    /// element by element.
    Gemini,
    /// The Vercel AI SDK UI message stream (`toUIMessageStreamResponse()`), v5 and v6.
    AiSdk,
    /// Raw SSE: every event's data is text; no terminator.
    Sse,
    /// Plain text: every byte is text (`text/plain`, the AI SDK's `toTextStreamResponse()`).
    Text,
    /// Decide from the response head and the first event.
    #[default]
    Auto,
}

impl Protocol {
    /// Every protocol.
    pub const ALL: [Protocol; 9] = [
        Protocol::OpenAi,
        Protocol::OpenAiResponses,
        Protocol::Anthropic,
        Protocol::Ollama,
        Protocol::Gemini,
        Protocol::AiSdk,
        Protocol::Sse,
        Protocol::Text,
        Protocol::Auto,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::OpenAiResponses => "openai-responses",
            Protocol::Anthropic => "anthropic",
            Protocol::Ollama => "ollama",
            Protocol::Gemini => "gemini",
            Protocol::AiSdk => "ai-sdk",
            Protocol::Sse => "sse",
            Protocol::Text => "text",
            Protocol::Auto => "auto",
        }
    }

    /// Parses a stable name.
    // A loop over `ALL` by reference: smaller wasm than `into_iter().find` (array IntoIter).
    #[allow(clippy::manual_find)]
    pub fn from_name(name: &str) -> Option<Protocol> {
        for &p in &Protocol::ALL {
            if p.name() == name {
                return Some(p);
            }
        }
        None
    }

    /// How its bytes are framed; `None` when the response decides (`auto`, and `gemini`,
    /// which is SSE or a JSON array).
    pub(crate) fn framing(self) -> Option<Framing> {
        match self {
            Protocol::OpenAi
            | Protocol::OpenAiResponses
            | Protocol::Anthropic
            | Protocol::AiSdk
            | Protocol::Sse => Some(Framing::Sse),
            Protocol::Ollama => Some(Framing::Ndjson),
            Protocol::Text => Some(Framing::Text),
            Protocol::Gemini | Protocol::Auto => None,
        }
    }

    /// Whether frames of `framing` are this protocol's.
    pub(crate) fn reads(self, framing: Framing) -> bool {
        match self {
            Protocol::Gemini => matches!(framing, Framing::Sse | Framing::Json),
            _ => self.framing() == Some(framing),
        }
    }

    /// A fresh decoder for it.
    pub(crate) fn decoder(self) -> Decoder {
        let json = |d: JsonDecoder| Decoder::Json(self, d);
        match self {
            Protocol::OpenAi => json(JsonDecoder::OpenAi(openai::OpenAi)),
            Protocol::OpenAiResponses => json(JsonDecoder::Responses(Default::default())),
            Protocol::Anthropic => json(JsonDecoder::Anthropic(anthropic::Anthropic)),
            Protocol::Ollama => json(JsonDecoder::Ollama(ollama::Ollama::default())),
            Protocol::Gemini => json(JsonDecoder::Gemini(gemini::Gemini::default())),
            Protocol::AiSdk => json(JsonDecoder::AiSdk(ai_sdk::AiSdk::default())),
            Protocol::Sse | Protocol::Text => Decoder::Text,
            Protocol::Auto => Decoder::Undecided,
        }
    }
}

/// What a protocol whose frames carry JSON implements, in its own file. The stream decoder
/// has already dropped keep-alives and blank frames and parsed the frame's JSON (a frame that
/// is not JSON never gets here: it is `invalid_json`).
pub(crate) trait ProviderDecoder {
    /// One frame's JSON. `event_type`: the SSE event type (`message` when the event named
    /// none), empty for an NDJSON line. `index`: the 0-based frame index, for errors.
    fn on_json(&mut self, event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink);

    /// Where a body that ends without the end signal stopped, for the `truncated` message:
    /// "the body ended {this}" (`before [DONE] and before any finish_reason`).
    fn truncated_before(&self) -> &'static str;

    /// A frame whose data is a signal rather than JSON (OpenAI's `[DONE]`): handle it and
    /// return `true`. Called before JSON parsing, after keep-alives are dropped.
    fn on_signal(&mut self, _data: &str, _sink: &mut EventSink) -> bool {
        false
    }

    /// Whether `event: ping` is this protocol's own event, decoded like any other (Anthropic),
    /// rather than a generic keep-alive that is never decoded.
    fn decodes_pings(&self) -> bool {
        false
    }
}

/// The decoder of the resolved protocol.
#[derive(Debug)]
pub(crate) enum Decoder {
    /// `auto` before the first event decided.
    Undecided,
    /// Every frame's data is text, appended as it is (raw SSE, plain text).
    Text,
    /// JSON frames, read by the decoder of the protocol named.
    Json(Protocol, JsonDecoder),
}

/// The decoders of the JSON protocols, one variant each. An enum rather than a
/// `Box<dyn ProviderDecoder>`: static dispatch keeps the wasm ~0.9 KB (gzip) smaller.
#[derive(Debug)]
pub(crate) enum JsonDecoder {
    OpenAi(openai::OpenAi),
    Responses(openai_responses::Responses),
    Anthropic(anthropic::Anthropic),
    Ollama(ollama::Ollama),
    Gemini(gemini::Gemini),
    AiSdk(ai_sdk::AiSdk),
}

/// `$body` with `$d` bound to the provider decoder inside `$self`, whichever it is.
macro_rules! with_decoder {
    ($self:ident, $d:ident => $body:expr) => {
        match $self {
            JsonDecoder::OpenAi($d) => $body,
            JsonDecoder::Responses($d) => $body,
            JsonDecoder::Anthropic($d) => $body,
            JsonDecoder::Ollama($d) => $body,
            JsonDecoder::Gemini($d) => $body,
            JsonDecoder::AiSdk($d) => $body,
        }
    };
}

impl ProviderDecoder for JsonDecoder {
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn on_json(&mut self, event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        with_decoder!(self, d => d.on_json(event_type, v, index, sink))
    }

    fn truncated_before(&self) -> &'static str {
        with_decoder!(self, d => d.truncated_before())
    }

    fn on_signal(&mut self, data: &str, sink: &mut EventSink) -> bool {
        with_decoder!(self, d => d.on_signal(data, sink))
    }

    fn decodes_pings(&self) -> bool {
        with_decoder!(self, d => d.decodes_pings())
    }
}

impl Decoder {
    /// Whether frames of `framing` are what this decoder reads.
    pub(crate) fn reads(&self, framing: Framing) -> bool {
        match self {
            Decoder::Json(p, _) => p.reads(framing),
            Decoder::Text => matches!(framing, Framing::Sse | Framing::Text),
            Decoder::Undecided => false,
        }
    }
}

/// What a provider decoder's unit tests feed it: each frame as the stream decoder hands it
/// over (a signal first, else its JSON, `null` when it is not JSON), with the SSE event type
/// `event_type`; the events it produced.
#[cfg(test)]
pub(crate) fn decode_frames<D: ProviderDecoder>(
    mut d: D,
    event_type: &str,
    frames: &[&str],
) -> Vec<super::StreamEvent> {
    let mut sink = EventSink::default();
    for (i, f) in frames.iter().enumerate() {
        if d.on_signal(f, &mut sink) {
            continue;
        }
        let v = Json::parse(f).unwrap_or(Json::NULL);
        d.on_json(event_type, v, i as u64, &mut sink);
    }
    sink.drain()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_and_sessions_stay_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Decoder>();
        send_sync::<crate::decode::StreamDecoder>();
        send_sync::<crate::session::Session>();
    }

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_name(p.name()), Some(p));
        }
        assert_eq!(Protocol::from_name("OpenAI"), None);
        assert_eq!(Protocol::from_name(""), None);
    }
}
