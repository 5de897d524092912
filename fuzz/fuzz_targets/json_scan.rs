//! Differential: the one-pass JSON scanner against serde_json, its oracle. On every input the
//! scanner accepts exactly what `serde_json::from_str::<IgnoredAny>` accepts, with the same
//! error message; where `serde_json::Value` also accepts, every string, integer, boolean,
//! array and object member the decoders can read is the same. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use serde_json::Value;
use streamguard::JsonShape as Shape;

/// Objects compared as sets of `(key, value)` (Value keeps neither order nor repeats).
fn norm(s: Shape) -> Shape {
    match s {
        Shape::Array(items) => Shape::Array(items.into_iter().map(norm).collect()),
        Shape::Object(members, _) => {
            let mut members: Vec<(String, Shape)> =
                members.into_iter().map(|(k, v)| (k, norm(v))).collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Shape::Object(members, 0)
        }
        other => other,
    }
}

fn from_value(v: &Value) -> Shape {
    match v {
        Value::Null => Shape::Null,
        Value::Bool(b) => Shape::Bool(*b),
        Value::Number(n) => Shape::Number(n.as_u64()),
        Value::String(s) => Shape::Str(Some(s.clone())),
        Value::Array(items) => Shape::Array(items.iter().map(from_value).collect()),
        Value::Object(map) => {
            let mut members: Vec<(String, Shape)> = map
                .iter()
                .map(|(k, v)| (k.clone(), from_value(v)))
                .collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Shape::Object(members, 0)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = Shape::of(text);
    let oracle = serde_json::from_str::<IgnoredAny>(text).map_err(|e| e.to_string());
    match (&ours, &oracle) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => assert_eq!(a, b, "{text:?}"),
        _ => panic!("accept/reject differ on {text:?}: ours {ours:?}, serde_json {oracle:?}"),
    }
    if let (Ok((shape, _)), Ok(value)) = (ours, serde_json::from_str::<Value>(text)) {
        assert_eq!(norm(shape), from_value(&value), "{text:?}");
    }
});
