//! HTTP dates (RFC 9110 §5.6.7), for `Retry-After` and `Date`.

use crate::http::split_once_byte;

/// Parses an HTTP date (RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms) into
/// seconds since the Unix epoch.
pub fn parse_http_date(s: &str) -> Option<u64> {
    // At most six whitespace-separated parts (no `Vec`: this is wasm code size).
    let mut parts = [""; 6];
    let mut n = 0;
    // `split_whitespace` by hand (its Filter<Split<..>> adapters cost wasm): the runs of
    // chars that are not Unicode white space.
    let mut start = None;
    let mut chars = s.char_indices();
    loop {
        let (i, white) = match chars.next() {
            Some((i, c)) => (i, c.is_whitespace()),
            None => (s.len(), true),
        };
        match (white, start) {
            (true, Some(st)) => {
                *parts.get_mut(n)? = s.get(st..i)?;
                n += 1;
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
        if i == s.len() {
            break;
        }
    }
    let (day, month, year, time) = match (n, parts) {
        // Sun, 06 Nov 1994 08:49:37 GMT
        (6, [_wd, d, m, y, t, "GMT"]) => (int(d)?, m, int(y)?, t),
        // Sunday, 06-Nov-94 08:49:37 GMT
        (4, [_wd, dmy, t, "GMT", ..]) => {
            let mut it = Some(dmy);
            let d = int(field(&mut it, b'-')?)?;
            let m = field(&mut it, b'-')?;
            let y = int(field(&mut it, b'-')?)?;
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let y = match y {
                ..=69 => 2000 + y,
                70..=99 => 1900 + y,
                _ => y,
            };
            (d, m, y, t)
        }
        // Sun Nov  6 08:49:37 1994
        (5, [_wd, m, d, t, y, _]) => (int(d)?, m, int(y)?, t),
        _ => return None,
    };
    // The month's three letters, any case, as its position in this list.
    let mut m = 0;
    while !MONTHS
        .get(m * 3..m * 3 + 3)?
        .eq_ignore_ascii_case(month.as_bytes())
    {
        m += 1;
    }
    let month = m as i64 + 1;
    if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    let mut hms = Some(time);
    let h = int(field(&mut hms, b':')?)?;
    let mi = int(field(&mut hms, b':')?)?;
    let se = int(field(&mut hms, b':')?)?;
    if hms.is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs).ok()
}

/// The next field of `rest` up to the ASCII `sep` (`None` once `rest` is used up): what
/// `str::split(char)`'s `next` returns, without core's char searcher.
fn field<'a>(rest: &mut Option<&'a str>, sep: u8) -> Option<&'a str> {
    let s = (*rest)?;
    let (field, more) = split_once_byte(s, sep).map_or((s, None), |(f, m)| (f, Some(m)));
    *rest = more;
    Some(field)
}

const MONTHS: &[u8] = b"janfebmaraprmayjunjulaugsepoctnovdec";

/// `s.parse::<i64>().ok()` (an optional sign, then ASCII digits, no overflow) without core's
/// generic integer parser.
fn int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let m = crate::text::digits(digits)?;
    if negative {
        0i64.checked_sub_unsigned(m)
    } else {
        i64::try_from(m).ok()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_is_i64_from_str() {
        for t in [
            "0",
            "42",
            "+7",
            "-7",
            "",
            "+",
            "-",
            "1994",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "1a",
            " 1",
            "06",
        ] {
            assert_eq!(int(t), t.parse::<i64>().ok(), "{t:?}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
        assert_eq!(parse_http_date(""), None);
    }
}

/// The smaller parser against the one first written.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod oracle {
    use super::*;
    use proptest::prelude::*;

    /// The parser as first written (a `Vec` of parts, a lowercased month matched by name):
    /// the oracle of the smaller one above.
    fn parse_http_date_oracle(s: &str) -> Option<u64> {
        let s = s.trim();
        let parts: Vec<&str> = s.split_whitespace().collect();
        let (day, month, year, time) = match parts.as_slice() {
            // Sun, 06 Nov 1994 08:49:37 GMT
            [_wd, d, m, y, t, "GMT"] => (int(d)?, *m, int(y)?, *t),
            // Sunday, 06-Nov-94 08:49:37 GMT
            [_wd, dmy, t, "GMT"] => {
                let mut it = dmy.split('-');
                let d = int(it.next()?)?;
                let m = it.next()?;
                let y = int(it.next()?)?;
                // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
                let y = if y < 100 {
                    if y < 70 {
                        2000 + y
                    } else {
                        1900 + y
                    }
                } else {
                    y
                };
                (d, m, y, *t)
            }
            // Sun Nov  6 08:49:37 1994
            [_wd, m, d, t, y] => (int(d)?, *m, int(y)?, *t),
            _ => return None,
        };
        let month = match month.to_ascii_lowercase().as_str() {
            "jan" => 1,
            "feb" => 2,
            "mar" => 3,
            "apr" => 4,
            "may" => 5,
            "jun" => 6,
            "jul" => 7,
            "aug" => 8,
            "sep" => 9,
            "oct" => 10,
            "nov" => 11,
            "dec" => 12,
            _ => return None,
        };
        let day: i64 = day;
        if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
            return None;
        }
        let mut hms = time.split(':');
        let h = int(hms.next()?)?;
        let mi = int(hms.next()?)?;
        let se = int(hms.next()?)?;
        if hms.next().is_some() || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + h * 3600 + mi * 60 + se;
        u64::try_from(secs).ok()
    }

    const TOKENS: &[&str] = &[
        "Sun,",
        "Sunday,",
        "Sun",
        "06",
        "6",
        "+6",
        "-1",
        "32",
        "Nov",
        "nOV",
        "Foo",
        "November",
        "1994",
        "94",
        "69",
        "70",
        "+1994",
        "1969",
        "06-Nov-94",
        "06-nov-1994",
        "6-Dec-69",
        "06-Nov",
        "08:49:37",
        "23:59:60",
        "24:00:00",
        "08:49",
        "08:49:37:1",
        "GMT",
        "gmt",
        "\u{a0}",
        "",
        "\t",
        " ",
    ];

    proptest! {
        #[test]
        fn agrees_with_the_oracle(parts in proptest::collection::vec(prop_oneof![
            proptest::sample::select(TOKENS).prop_map(String::from),
            "[0-9:+-]{0,6}",
            "[a-zA-Z]{3}",
            "[+-]?[0-9]{0,3}-[a-zA-Z]{3}-[+-]?[0-9]{0,3}",
        ], 0..8), sep in prop_oneof![Just(" "), Just("  "), Just("\t"), Just("\u{a0}"), Just(" \u{3000}")],
            edge in prop_oneof![Just(""), Just(" "), Just("\u{2003}")]) {
            let s = [edge, &parts.join(sep), edge].concat();
            prop_assert_eq!(parse_http_date(&s), parse_http_date_oracle(&s), "{:?}", s);
        }
    }
}
