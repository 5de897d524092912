//! The delay a response asks for before a retry: `retry-after-ms`, or `Retry-After` as
//! seconds or as an HTTP date.

use super::http_date::parse_http_date;
use crate::http::{header, split_once_byte};

/// Parses a non-negative decimal number (`7`, `1.5`, `.5`, `2.`) and returns it times
/// `10^scale`, rounded up to a whole number and saturating at `u64::MAX`. Exact integer
/// arithmetic: no float parsing in the wasm.
fn parse_decimal(s: &str, scale: u32) -> Option<u64> {
    let s = s.trim();
    let (int, frac) = split_once_byte(s, b'.').unwrap_or((s, ""));
    if int.len() + frac.len() == 0 {
        return None;
    }
    // Plain loops (no iterator adapters: smaller wasm at opt-level "z").
    let (int, frac) = (int.as_bytes(), frac.as_bytes());
    let mut v: u64 = 0;
    let mut round_up = false;
    let mut i = 0;
    while let Some(&d) = int.get(i).or(frac.get(i.wrapping_sub(int.len()))) {
        if !d.is_ascii_digit() {
            return None;
        }
        if i < int.len() + scale as usize {
            v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        } else {
            round_up |= d != b'0';
        }
        i += 1;
    }
    for _ in frac.len()..scale as usize {
        v = v.saturating_mul(10);
    }
    if round_up {
        v = v.saturating_add(1);
    }
    Some(v)
}

/// The delay the server asks for, in milliseconds: `retry-after-ms` (OpenAI), else
/// `Retry-After` as delta-seconds, else `Retry-After` as an HTTP date minus the `Date` header.
/// With no `Date` header an HTTP date cannot be resolved without a clock: `None`.
pub fn retry_after_ms(headers: &[(&str, &str)]) -> Option<u64> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| parse_decimal(v, 0)) {
        return Some(ms);
    }
    let value = header(headers, "retry-after")?;
    if let Some(ms) = parse_decimal(value, 3) {
        return Some(ms);
    }
    let at = parse_http_date(value)?;
    let date = parse_http_date(header(headers, "date")?)?;
    Some(at.saturating_sub(date).saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after_ms(&[("Retry-After", "7")]), Some(7000));
        assert_eq!(retry_after_ms(&[("retry-after", " 1.5 ")]), Some(1500));
        assert_eq!(
            retry_after_ms(&[("Retry-After", "3"), ("retry-after-ms", "250")]),
            Some(250)
        );
        assert_eq!(
            retry_after_ms(&[
                ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"),
            ]),
            Some(30_000)
        );
        // A date in the past: retry now.
        assert_eq!(
            retry_after_ms(&[
                ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Retry-After", "Sun, 06 Nov 1994 08:00:00 GMT"),
            ]),
            Some(0)
        );
        // No Date header: cannot resolve without a clock.
        assert_eq!(
            retry_after_ms(&[("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT")]),
            None
        );
        assert_eq!(retry_after_ms(&[("Retry-After", "-1")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", ".5")]), Some(500));
        assert_eq!(retry_after_ms(&[("Retry-After", "2.")]), Some(2000));
        assert_eq!(retry_after_ms(&[("Retry-After", "0.0001")]), Some(1));
        assert_eq!(retry_after_ms(&[("retry-after-ms", "250.01")]), Some(251));
        assert_eq!(retry_after_ms(&[("Retry-After", "1e9")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", "1.2.3")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", ".")]), None);
        assert_eq!(
            retry_after_ms(&[("Retry-After", "99999999999999999999999")]),
            Some(u64::MAX)
        );
        assert_eq!(retry_after_ms(&[("Retry-After", "soon")]), None);
        assert_eq!(retry_after_ms(&[]), None);
    }
}

/// The smaller parser against the one first written (iterator adapters).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod oracle {
    use super::*;
    use proptest::prelude::*;

    fn parse_decimal_oracle(s: &str, scale: u32) -> Option<u64> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
            return None;
        }
        let mut v: u64 = 0;
        let mut push = |d: u8| v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
        int.bytes().for_each(&mut push);
        let mut frac = frac.bytes();
        for _ in 0..scale {
            push(frac.next().unwrap_or(b'0'));
        }
        if frac.any(|d| d != b'0') {
            v = v.saturating_add(1);
        }
        Some(v)
    }

    proptest! {
        #[test]
        fn parse_decimal_is_the_oracle(s in "[ 0-9.a+-]{0,24}", scale in 0u32..4) {
            prop_assert_eq!(parse_decimal(&s, scale), parse_decimal_oracle(&s, scale));
        }
    }
}
