//! What several decoders read the same way, as one copy each: JSON members handed to the
//! [`EventSink`] without a string per member at every call site.

use super::sink::EventSink;
use crate::json::Json;

/// A tool-call fragment from its members: `id`, `name` and `arguments` read as strings
/// (anything else, or absent, is none; no arguments is "").
#[inline(never)]
pub(crate) fn tool(
    sink: &mut EventSink,
    index: u32,
    id: Option<Json<'_>>,
    name: Option<Json<'_>>,
    arguments: Option<Json<'_>>,
) {
    let (id, name, arguments) = (str_of(id), str_of(name), str_of(arguments));
    sink.tool(
        index,
        id.as_deref(),
        name.as_deref(),
        arguments.as_deref().unwrap_or(""),
    );
}

fn str_of(v: Option<Json<'_>>) -> Option<std::borrow::Cow<'_, str>> {
    v.and_then(Json::as_str)
}
