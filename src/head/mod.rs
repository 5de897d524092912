//! Response head checks: status, Content-Type, `Retry-After`, and error bodies.
//!
//! Pure functions; the session calls them when the head arrives and when a non-stream body
//! (an HTTP error body, a JSON body where SSE was expected, an HTML page) is complete or has
//! reached its bounded prefix.
//!
//! - Non-2xx: [`http_error`] with the status, `Retry-After` in milliseconds
//!   ([`retry_after_ms`]), and the provider's message from a JSON body (at most
//!   [`ERROR_BODY_PREFIX`] bytes are read). Retryable: [`is_retryable_status`].
//! - 2xx: see [`classify`]; a JSON body becomes [`json_body_error`], another unexpected body
//!   [`unexpected_type_error`].
//!
//! One file per concern: `http_date.rs` (HTTP dates), `retry_after.rs` (the delay asked for),
//! `content_type.rs` (what a 2xx body is), `error_body.rs` (error objects in bodies).

mod content_type;
mod error_body;
mod http_date;
mod retry_after;

pub use content_type::{classify, unexpected_type_error, BodyKind};
pub use error_body::{
    body_preview, http_error, json_body_error, parse_error_body, ErrorInfo, BODY_PREVIEW_BYTES,
    ERROR_BODY_PREFIX,
};
pub use http_date::parse_http_date;
pub use retry_after::retry_after_ms;

pub use crate::http::{header, media_type};
pub use crate::retryable::is_retryable_status;
