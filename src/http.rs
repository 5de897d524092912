//! The HTTP vocabulary the core reads from a response head: header lookup, and the one table
//! of media types.
//!
//! Two places read a Content-Type: [`crate::head`] (is a 2xx body the stream, a JSON document
//! to look for an error in, or something that cannot be a stream?) and the `auto` rules of
//! [`crate::decode`] (which framing?). Both ask [`media_kind`], so they cannot disagree about
//! what a media type is.

/// A header value by case-insensitive name (the first one), trimmed.
pub fn header<'h>(headers: &[(&'h str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// `s.split_once(sep)` for an ASCII `sep`, without core's char searcher (wasm size).
pub(crate) fn split_once_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    // An index loop: opt-level "z" keeps iterator adapters as calls and stack traffic.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&sep) {
            return Some((s.get(..i)?, s.get(i + 1..)?));
        }
        i += 1;
    }
    None
}

/// What a media type says about a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Server-sent events.
    EventStream,
    /// One JSON value per line (NDJSON / JSON Lines, under any of their names).
    Ndjson,
    /// One JSON document (Ollama's non-streamed answer, an error object, ...).
    Json,
    /// No media type, or a generic one that servers and proxies put on streams they do not
    /// label (`text/plain`, `application/octet-stream`): decode the bytes and see.
    Unlabelled,
    /// Anything else (`text/html`, images, ...): cannot be a stream.
    Other,
}

/// Every media type the core recognises, lowercased, and what it is. The first entry of a
/// kind is its canonical name (the one error messages quote).
pub const MEDIA_TYPES: [(&str, MediaKind); 9] = [
    ("text/event-stream", MediaKind::EventStream),
    ("application/x-ndjson", MediaKind::Ndjson),
    ("application/ndjson", MediaKind::Ndjson),
    ("application/jsonl", MediaKind::Ndjson),
    ("application/x-jsonlines", MediaKind::Ndjson),
    ("application/jsonlines", MediaKind::Ndjson),
    ("application/json", MediaKind::Json),
    ("text/plain", MediaKind::Unlabelled),
    ("application/octet-stream", MediaKind::Unlabelled),
];

impl MediaKind {
    /// The canonical media type of this kind (`None` for [`MediaKind::Other`]).
    pub fn canonical(self) -> Option<&'static str> {
        MEDIA_TYPES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|(name, _)| *name)
    }
}

/// The media type of a Content-Type value, lowercased, without parameters.
pub fn media_type(content_type: &str) -> String {
    split_once_byte(content_type, b';')
        .map_or(content_type, |(media_type, _)| media_type)
        .trim()
        .to_ascii_lowercase()
}

/// What a Content-Type value (parameters allowed, any case) says about the body. An empty
/// value is [`MediaKind::Unlabelled`].
pub fn media_kind(content_type: &str) -> MediaKind {
    let mt = media_type(content_type);
    if mt.is_empty() {
        return MediaKind::Unlabelled;
    }
    MEDIA_TYPES
        .iter()
        .find(|(name, _)| *name == mt)
        .map_or(MediaKind::Other, |(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_ignore_case_and_parameters() {
        assert_eq!(
            media_kind("Text/Event-Stream; charset=utf-8"),
            MediaKind::EventStream
        );
        assert_eq!(media_kind(" application/JSONL "), MediaKind::Ndjson);
        assert_eq!(media_kind("application/json"), MediaKind::Json);
        assert_eq!(media_kind(""), MediaKind::Unlabelled);
        assert_eq!(media_kind("; charset=utf-8"), MediaKind::Unlabelled);
        assert_eq!(media_kind("text/html"), MediaKind::Other);
        assert_eq!(MediaKind::Ndjson.canonical(), Some("application/x-ndjson"));
        assert_eq!(MediaKind::Other.canonical(), None);
    }

    #[test]
    fn headers_by_name() {
        let h = [("Content-Type", " text/plain "), ("content-type", "x")];
        assert_eq!(header(&h, "content-type"), Some("text/plain"));
        assert_eq!(header(&h, "date"), None);
    }

    #[test]
    fn split_once_byte_is_split_once() {
        for s in ["", ";", "a;b", "a;b;c", "é;ü", "no sep", ";x", "x;"] {
            assert_eq!(split_once_byte(s, b';'), s.split_once(';'), "{s:?}");
        }
    }
}
