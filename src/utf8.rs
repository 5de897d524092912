//! Streaming UTF-8 decoding for plain-text bodies: bytes in any chunking, text out, the same
//! text as decoding the whole body at once.
//!
//! [`Utf8Stream::decode`] appends the text of a chunk to a `String` and holds back an
//! incomplete code point at the chunk's end (at most 3 bytes) until the next chunk completes
//! it; [`Utf8Stream::finish`] flushes what is held at the end of the body. Invalid bytes
//! become U+FFFD, one per maximal subpart of an ill-formed sequence (Unicode's "substitution of
//! maximal subparts", which is what the WHATWG Encoding Standard's decoder, `TextDecoder` and
//! `String::from_utf8_lossy` do): the result of any chunking equals `from_utf8_lossy` of the
//! whole body (a property test checks it against that oracle).

/// A UTF-8 decoder that keeps an incomplete code point across chunks.
#[derive(Debug, Default, Clone)]
pub struct Utf8Stream {
    /// The start of a code point cut by the end of the last chunk (1 to 3 bytes), completed
    /// by the next chunk: it exists for a character split across two reads.
    tail: Vec<u8>,
    /// Ill-formed sequences replaced by U+FFFD so far.
    invalid: u64,
}

impl Utf8Stream {
    /// A decoder with nothing held.
    pub fn new() -> Self {
        Utf8Stream::default()
    }

    /// Decodes `bytes` (continuing the previous chunk) and appends the text to `out`.
    pub fn decode(&mut self, bytes: &[u8], out: &mut String) {
        let mut rest = bytes;
        if !self.tail.is_empty() {
            // At most 4 bytes complete (or refute) the held code point.
            let take = rest.len().min(4 - self.tail.len().min(3));
            let mut joined = core::mem::take(&mut self.tail);
            joined.extend_from_slice(rest.get(..take).unwrap_or(&[]));
            let left = self.decode_complete(&joined, out);
            if take == rest.len() {
                // Everything was consumed; what is still incomplete stays held.
                self.tail = joined.split_off(joined.len() - left);
                return;
            }
            // An incomplete suffix of `joined` lies inside `rest`: decode it again from there.
            rest = rest.get(take - left.min(take)..).unwrap_or(&[]);
        }
        let left = self.decode_complete(rest, out);
        self.tail = rest.get(rest.len() - left..).unwrap_or(&[]).to_vec();
    }

    /// The end of the body: a held incomplete code point becomes one U+FFFD.
    pub fn finish(&mut self, out: &mut String) {
        if !self.tail.is_empty() {
            self.tail.clear();
            self.invalid += 1;
            out.push('\u{FFFD}');
        }
    }

    /// Ill-formed sequences replaced so far (an incomplete one at the end included).
    pub fn invalid_sequences(&self) -> u64 {
        self.invalid
    }

    /// Whether an incomplete code point is held.
    pub fn is_holding(&self) -> bool {
        !self.tail.is_empty()
    }

    /// Decodes `input`, replacing ill-formed sequences, and returns the length of the
    /// incomplete code point it ends with (0 when it ends on a boundary).
    fn decode_complete(&mut self, input: &[u8], out: &mut String) -> usize {
        let mut rest = input;
        loop {
            match core::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    return 0;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            out.push('\u{FFFD}');
                            self.invalid += 1;
                            rest = after.get(n..).unwrap_or(&[]);
                        }
                        None => return after.len(),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (String, u64) {
        let mut d = Utf8Stream::new();
        let mut out = String::new();
        for c in chunks {
            d.decode(c, &mut out);
        }
        d.finish(&mut out);
        (out, d.invalid_sequences())
    }

    #[test]
    fn a_code_point_split_anywhere_comes_out_whole() {
        let text = "aé日🦀z".as_bytes();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let (out, bad) = run(&[&text[..i], &text[i..j], &text[j..]]);
                assert_eq!(out, "aé日🦀z", "{i} {j}");
                assert_eq!(bad, 0);
            }
        }
        let (out, _) = run(&text.iter().map(core::slice::from_ref).collect::<Vec<_>>());
        assert_eq!(out, "aé日🦀z");
    }

    #[test]
    fn invalid_bytes_are_replaced_like_from_utf8_lossy() {
        let cases: [&[u8]; 6] = [
            b"a\xffb",
            b"\xe2\x82A",
            b"\xf0\x9f\x98",
            b"\xed\xa0\x80x",
            b"\xc0\xaf",
            b"ok\xe6\x97",
        ];
        for bytes in cases {
            let want = String::from_utf8_lossy(bytes).into_owned();
            for i in 0..=bytes.len() {
                let (out, bad) = run(&[&bytes[..i], &bytes[i..]]);
                assert_eq!(out, want, "{bytes:?} split at {i}");
                assert!(bad > 0);
            }
        }
    }

    #[test]
    fn nothing_is_held_after_a_boundary() {
        let mut d = Utf8Stream::new();
        let mut out = String::new();
        d.decode("日".as_bytes().get(..2).unwrap_or(&[]), &mut out);
        assert!(d.is_holding());
        assert_eq!(out, "");
        d.decode(&"日".as_bytes()[2..], &mut out);
        assert!(!d.is_holding());
        assert_eq!(out, "日");
    }
}
